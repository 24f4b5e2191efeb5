using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Conformance.Emulation;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Benchmarks;

/// <summary>
/// Emulated instructions per second on one CPU running a loop of ordinary kernel-like
/// instructions (register and memory moves, arithmetic, compares and branches, lea, push/pop,
/// call/ret): 20 instructions per iteration, no events. Each invocation takes
/// <see cref="Steps"/> steps, so the reported time is per instruction; the
/// <c>Instr/s</c> column turns it into instructions per second.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class EmulatorThroughput
{
    /// <summary>Steps per benchmark invocation.</summary>
    public const int Steps = 1_000_000;

    public const ulong Text = 0x40_0000, Data = 0x60_0000, Stack = 0x7f_0000;
    public const int RegionSize = 0x1_0000;

    private Cpu _cpu = null!;

    /// <summary>Instructions in one iteration of the loop (the branch out of the loop is never taken).</summary>
    public static int InstructionsPerIteration { get; private set; }

    [GlobalSetup]
    public void Setup() => _cpu = CreateCpu();

    /// <summary>One CPU over fresh memory, with the loop at <see cref="Text"/> and RSP at the top of its stack.</summary>
    public static Cpu CreateCpu()
    {
        var memory = new Memory();
        memory.Map("text", RegionKind.Text, Text, RegionSize);
        memory.Map("data", RegionKind.Data, Data, RegionSize);
        memory.Map("stack", RegionKind.Stack, Stack, RegionSize);
        var (code, count) = AssembleLoop();
        memory.Load(Text, code);
        InstructionsPerIteration = count;
        var cpu = new Cpu(0, memory, new InterruptTable());
        cpu.State.Rip = Text;
        cpu.State.Rsp = Stack + RegionSize;
        return cpu;
    }

    [Benchmark(OperationsPerInvoke = Steps, Description = "Step (ns/instruction)")]
    public ulong Step()
    {
        var cpu = _cpu;
        for (int i = 0; i < Steps; i++)
            if (cpu.Step() != StepResult.Retired) Throw(cpu);
        return cpu.State.Rip;
    }

    private static void Throw(Cpu cpu) =>
        throw new InvalidOperationException($"the benchmark loop stopped: {cpu.State.Fault?.ToString() ?? cpu.State.Run.ToString()}");

    private static (byte[] Code, int Instructions) AssembleLoop()
    {
        var a = new Assembler(64);
        var top = a.CreateLabel();
        var inRange = a.CreateLabel();
        var leaf = a.CreateLabel();
        var never = a.CreateLabel();
        a.mov(edi, 0);
        a.Label(ref top);
        a.mov(rax, rbx);                            //  1
        a.add(rax, 3);                              //  2
        a.xor(edx, edx);                            //  3
        a.lea(rsi, __[rax + rcx * 2 + 8]);          //  4
        a.inc(rcx);                                 //  5
        a.cmp(rcx, 1000);                           //  6
        a.jb(inRange);                              //  7 (taken 999 times in 1000)
        a.xor(ecx, ecx);
        a.Label(ref inRange);
        a.push(rax);                                //  8
        a.push(rsi);                                //  9
        a.call(leaf);                               // 10
        a.pop(rsi);                                 // 14
        a.pop(rax);                                 // 15
        a.mov(__qword_ptr[Data], rax);              // 16
        a.mov(rdx, __qword_ptr[Data + 8]);          // 17
        a.add(rbx, rdx);                            // 18
        a.dec(rdi);                                 // 19
        a.je(never);                                // 20 (rdi counts down from 2^64: never zero)
        a.jmp(top);                                 // 21
        a.Label(ref leaf);
        a.mov(r8, __qword_ptr[rsp + 8]);            // 11
        a.add(__qword_ptr[Data + 8], r8);           // 12
        a.ret();                                    // 13
        a.Label(ref never);
        a.hlt();
        var writer = new ByteCodeWriter();
        a.Assemble(writer, Text);
        return (writer.ToArray(), 21);
    }

    /// <summary>The default config plus the instructions-per-second column.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new InstructionsPerSecondColumn());
    }

    /// <summary>Turns the mean time per operation (one instruction) into instructions per second.</summary>
    private sealed class InstructionsPerSecondColumn : IColumn
    {
        public string Id => nameof(InstructionsPerSecondColumn);
        public string ColumnName => "Instr/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Emulated instructions per second (1 / Mean)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            return stats is null || stats.Mean <= 0 ? "-" : $"{1e9 / stats.Mean / 1e6:N1} M";
        }
    }
}
