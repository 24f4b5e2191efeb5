using Conformance.Emulation;
using Conformance.Machine;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Generators.Bench;

/// <summary>
/// The workload of "machine runs per second": 4 CPUs (three tasks calling through a 5-byte call
/// site that straddles a cache line, one writer re-targeting it with text_poke_bp's int3 / sync /
/// tail / sync / head / sync), 2,000 steps of a uniform random schedule with interrupts and fetch
/// choices, under the block64 fetch model. Shared by <c>bench</c> and the BenchmarkDotNet benchmark <c>MachineRuns</c>.
/// </summary>
public static class MachineRunWorkload
{
    public const int Cpus = 4, Steps = 2_000;
    public const ulong Site = 0x40_003e;

    private static readonly byte[] Code = Assemble(out Func1, out Func2);
    private static readonly ulong Func1, Func2;

    /// <summary><paramref name="count"/> uniform random schedules of the workload's shape (seeds 0, 1, ...).</summary>
    public static Schedule[] Schedules(int count)
    {
        var strategy = new UniformRandomStrategy();
        var shape = new ScheduleShape(Cpus, Steps, MaxInterrupts: 3, MaxFetchChoice: 2, FetchChoices: 16);
        return Enumerable.Range(0, count).Select(i => strategy.Create((ulong)i, shape)).ToArray();
    }

    /// <summary>Builds the machine from scratch: code loaded, tasks added; the writer is <see cref="SetWriter"/>'s to add.</summary>
    public static Machine.Machine Build(bool recordTrace = false, bool watchSite = false)
    {
        var machine = new Machine.Machine(new MachineOptions
        {
            Cpus = Cpus, FetchModel = new Block64Fetch(), RecordTrace = recordTrace,
            WatchedCode = watchSite ? [(Site, Site + 5)] : [],
        });
        machine.Memory.Map("text", RegionKind.Text, 0x40_0000, 0x1000);
        machine.Memory.Map("data", RegionKind.Data, 0x60_0000, 0x1000);
        machine.Memory.Load(0x40_0000, Code);
        // #BP: retry at the int3 until the patch completes (spin in #BP), enough for a benchmark workload.
        machine.Memory.Map("bp", RegionKind.Stub, 0x50_0000, 0x100);
        machine.Memory.Decoded.BindHost(0x50_0000, RetryBreakpoint.Instance);
        machine.Interrupts.Set(Vectors.Breakpoint, 0x50_0000);
        for (int c = 0; c < Cpus - 1; c++) machine.AddTask(c, $"caller{c}", 0x40_0000);
        return machine;
    }

    /// <summary>The writer: text_poke_bp's steps re-targeting the site from its first function to its second.</summary>
    public static void SetWriter(Machine.Machine machine)
    {
        long rel = (long)Func2 - (long)(Site + 5);
        var tail = BitConverter.GetBytes((int)rel);
        machine.SetWriter(Cpus - 1, new WriterStep[]
        {
            new WriterStep.Store(Site, new byte[] { 0xCC }), new WriterStep.SyncCore(),
            new WriterStep.Store(Site + 1, tail), new WriterStep.SyncCore(),
            new WriterStep.Store(Site, new byte[] { 0xE8 }), new WriterStep.SyncCore(),
        });
    }

    /// <summary>Builds the machine and runs one schedule; returns the steps taken.</summary>
    public static long RunFresh(Schedule schedule)
    {
        var machine = Build();
        SetWriter(machine);
        machine.Run(schedule);
        return machine.Steps;
    }

    /// <summary>One machine built once and reset (<see cref="Machine.Machine.Reset"/>) before each run, as the checks run cases of one layout.</summary>
    public sealed class Reusable
    {
        private readonly Machine.Machine _machine;

        public Reusable(bool recordTrace = false, bool watchSite = false)
        {
            _machine = Build(recordTrace, watchSite);
            _machine.MarkInitial();
        }

        /// <summary>Resets the machine, sets the writer, runs the schedule; returns the machine, to look at.</summary>
        public Machine.Machine Run(Schedule schedule)
        {
            _machine.Reset();
            SetWriter(_machine);
            _machine.Run(schedule);
            return _machine;
        }
    }

    private static byte[] Assemble(out ulong func1, out ulong func2)
    {
        var a = new Assembler(64);
        var loop = a.CreateLabel();
        var f1 = a.CreateLabel();
        var f2 = a.CreateLabel();
        a.Label(ref loop);
        Prologue(a);
        var measure = new Assembler(64);
        Prologue(measure);
        var probe = new ByteCodeWriter();
        measure.Assemble(probe, 0x40_0000);   // the prologue's length, so the call lands at Site
        int prologue = probe.Count;
        for (int i = prologue; i < (int)(Site - 0x40_0000); i++) a.nop();
        a.call(f1);
        a.jmp(loop);
        a.Label(ref f1);
        a.inc(rbx);
        a.ret();
        a.Label(ref f2);
        a.dec(rbx);
        a.ret();
        var sink = new ByteCodeWriter();
        var result = a.Assemble(sink, 0x40_0000, BlockEncoderOptions.ReturnNewInstructionOffsets);
        func1 = result.GetLabelRIP(f1);
        func2 = result.GetLabelRIP(f2);
        if (func1 - 5 - 2 != Site) throw new InvalidOperationException($"the call site is not at 0x{Site:x}");
        return sink.ToArray();
    }

    private static void Prologue(Assembler a)
    {
        a.mov(rax, __qword_ptr[0x60_0000]);
        a.add(rax, 1);
        a.mov(__qword_ptr[0x60_0000], rax);
        a.xor(ecx, ecx);
        a.lea(rdx, __[rax + rcx * 2 + 8]);
        a.cmp(rdx, 3);
    }

    private sealed class RetryBreakpoint : IHostRoutine
    {
        public static readonly RetryBreakpoint Instance = new();
        public string Name => "retry-at-int3";

        public HostOutcome Run(Cpu cpu)
        {
            Span<byte> rip = stackalloc byte[8];
            cpu.Memory.ReadCurrent(cpu.State.Rsp, rip);
            cpu.Memory.Poke(cpu.State.Rsp, BitConverter.GetBytes(BitConverter.ToUInt64(rip) - 1));
            return HostOutcome.InterruptReturn;
        }
    }
}
