using Conformance.Emulation;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Generators.Bench;

/// <summary>
/// The workload of "emulated instructions per second": one CPU running a loop of ordinary
/// kernel-like instructions (register and memory moves, arithmetic, compares and branches, lea,
/// push/pop, call/ret), 21 instructions per iteration, no events. Shared by <c>bench</c> and the
/// BenchmarkDotNet benchmark <c>EmulatorThroughput</c>.
/// </summary>
public static class ThroughputLoop
{
    public const ulong Text = 0x40_0000, Data = 0x60_0000, Stack = 0x7f_0000;
    public const int RegionSize = 0x1_0000;

    /// <summary>Instructions in one iteration of the loop (the branch out of the loop is never taken).</summary>
    public const int InstructionsPerIteration = 21;

    /// <summary>One CPU over fresh memory, with the loop at <see cref="Text"/> and RSP at the top of its stack.</summary>
    public static Cpu CreateCpu()
    {
        var memory = new Memory();
        memory.Map("text", RegionKind.Text, Text, RegionSize);
        memory.Map("data", RegionKind.Data, Data, RegionSize);
        memory.Map("stack", RegionKind.Stack, Stack, RegionSize);
        memory.Load(Text, Assemble());
        var cpu = new Cpu(0, memory, new InterruptTable());
        cpu.State.Rip = Text;
        cpu.State.Rsp = Stack + RegionSize;
        return cpu;
    }

    /// <summary>Runs <paramref name="steps"/> steps; every one must retire an instruction.</summary>
    public static ulong Run(Cpu cpu, int steps)
    {
        for (int i = 0; i < steps; i++)
            if (cpu.Step() != StepResult.Retired) Throw(cpu);
        return cpu.State.Rip;
    }

    private static void Throw(Cpu cpu) =>
        throw new InvalidOperationException($"the benchmark loop stopped: {cpu.State.Fault?.ToString() ?? cpu.State.Run.ToString()}");

    private static byte[] Assemble()
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
        return writer.ToArray();
    }
}
