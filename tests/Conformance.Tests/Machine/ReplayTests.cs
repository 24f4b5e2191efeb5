using Conformance.Emulation;
using Conformance.Machine;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// A schedule is the whole of a run's nondeterminism: the same schedule on the same machine gives
/// the same trace and the same fetches, line by line, and the fetch choices a run reports it took
/// replay it exactly.
/// </summary>
public class ReplayTests
{
    // Three readers loop over `call func` (the 5-byte site); cpu3 patches the site to a 5-byte nop
    // with text_poke_bp's steps. The #BP handler emulates the nop, as text_poke_bp's handler does.
    private const ulong Site = MachineLayout.Text, Func = MachineLayout.Text + 0x40, BreakpointHandler = MachineLayout.Stubs + 0x800;
    private static readonly byte[] Nop5 = [0x0f, 0x1f, 0x44, 0x00, 0x00];

    internal static readonly ScheduleShape Shape = new(Cpus: 4, Steps: 400, MaxInterrupts: 6, MaxFetchChoice: 3, FetchChoices: 40);

    // Each strategy with a few seeds, plus uniform-random seeds whose runs read stale bytes at the
    // site (a reader fetching between a store and the sync after it, with a non-zero choice; found
    // by scanning seeds 1-300, about one in ten does).
    private static readonly (string Strategy, ulong Seed)[] Cases =
        StrategyRegistry.BuiltIn.SelectMany(s => new ulong[] { 1, 2, 3, 17, 1234 }.Select(seed => (s.Name, seed)))
            .Concat([("uniform-random", 22UL), ("uniform-random", 51UL), ("uniform-random", 105UL)])
            .ToArray();

    public static TheoryData<string, ulong> Runs()
    {
        var data = new TheoryData<string, ulong>();
        foreach (var (strategy, seed) in Cases) data.Add(strategy, seed);
        return data;
    }

    private static Schedule ScheduleOf((string Strategy, ulong Seed) c) => StrategyRegistry.Get(c.Strategy).Create(c.Seed, Shape);

    internal static Machine Build(bool recordTrace = true)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 4, RecordTrace = recordTrace, WatchedCode = [(Site, Site + 5)] });
        var memory = machine.Memory;
        MachineLayout.Assemble(memory, Site, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.call(Func);
            a.jmp(loop);
        });
        MachineLayout.Assemble(memory, Func, a =>
        {
            a.add(rax, 1);
            a.ret();
        });
        memory.Decoded.BindHost(BreakpointHandler, new HostLambda("bp-emulate-nop5", cpu =>
        {
            ulong frame = cpu.State.Rsp;
            ulong rip = MachineLayout.Read64(cpu.Memory, frame);
            if (rip != Site + 1) return HostOutcome.Declined($"int3 at 0x{rip - 1:x} is not the site");
            cpu.Memory.Poke(frame, BitConverter.GetBytes(Site + 5));
            return HostOutcome.InterruptReturn;
        }));
        machine.Interrupts.Set(Vectors.Breakpoint, BreakpointHandler);
        for (int c = 0; c < 3; c++) machine.AddTask(c, $"reader{c}", Site);
        machine.SetWriter(3,
        [
            new WriterStep.Store(Site, [0xcc]), new WriterStep.SyncCore(),
            new WriterStep.Store(Site + 1, Nop5[1..]), new WriterStep.SyncCore(),
            new WriterStep.Store(Site, Nop5[..1]), new WriterStep.SyncCore(),
        ]);
        return machine;
    }

    private static Machine RunOnce(Schedule schedule)
    {
        var machine = Build();
        machine.Run(schedule);
        return machine;
    }

    private static string TraceText(Machine m) => string.Join("\n", m.Trace);
    private static string FetchText(Machine m) => string.Join("\n", m.Fetches.Select(f => f.ToString()));

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_same_schedule_gives_the_same_trace_and_fetches(string strategy, ulong seed)
    {
        var schedule = StrategyRegistry.Get(strategy).Create(seed, Shape);

        var first = RunOnce(schedule);
        var second = RunOnce(schedule);

        Assert.True(first.Trace.Count >= first.Fetches.Count && first.Fetches.Count > 0, $"{first.Trace.Count} trace lines, {first.Fetches.Count} fetches");
        Assert.Equal(schedule.TotalSteps, first.Steps);
        Assert.Equal(TraceText(first), TraceText(second));
        Assert.Equal(FetchText(first), FetchText(second));
        Assert.Equal(first.FetchChoicesTaken, second.FetchChoicesTaken);
        Assert.Equal(first.Memory.Now, second.Memory.Now);
        for (int c = 0; c < 4; c++)
            Assert.Equal(first.Cpus[c].State.Rip, second.Cpus[c].State.Rip);
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Replaying_the_choices_taken_gives_the_same_run(string strategy, ulong seed)
    {
        var schedule = StrategyRegistry.Get(strategy).Create(seed, Shape);
        var original = RunOnce(schedule);

        var replay = RunOnce(schedule with { FetchChoices = original.FetchChoicesTaken.ToArray() });

        Assert.Equal(TraceText(original), TraceText(replay));
        Assert.Equal(FetchText(original), FetchText(replay));
        Assert.Equal(original.FetchChoicesTaken, replay.FetchChoicesTaken);
        Assert.Equal(original.FetchChoiceOptions, replay.FetchChoiceOptions);
    }

    [Fact]
    public void The_runs_replayed_do_take_stale_fetches_interrupts_and_traps()
    {
        // Guards the two theories above against passing vacuously: across the seeds, some runs read
        // stale bytes (a non-zero choice taken), take scheduled interrupts, and trap on the int3.
        var machines = Cases.Select(c => RunOnce(ScheduleOf(c))).ToArray();
        Assert.Contains(machines, m => m.FetchChoicesTaken.Any(c => c > 0));
        Assert.Contains(machines, m => m.Fetches.Any(f => f.IsStale));
        Assert.Contains(machines, m => m.Trace.Any(l => l.Contains(" raise ", StringComparison.Ordinal)));
        Assert.Contains(machines, m => m.Trace.Any(l => l.Contains("int 3", StringComparison.Ordinal)));
        Assert.Contains(machines, m => m.WriterStatus(3) == "done");
    }

    [Fact]
    public void A_replayed_run_is_not_the_run_of_other_choices()
    {
        // The choices matter: forcing the oldest version everywhere changes the run of some seed.
        var schedules = Cases.Select(ScheduleOf).ToArray();
        Assert.Contains(schedules, s =>
        {
            var coherent = RunOnce(s with { FetchChoices = [] });
            var stale = RunOnce(s with { FetchChoices = Enumerable.Repeat(3, 200).ToArray() });
            return TraceText(coherent) != TraceText(stale);
        });
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void The_same_seed_gives_the_same_schedule_and_other_seeds_differ(string strategy)
    {
        var s = StrategyRegistry.Get(strategy);
        Assert.Equal(s.Create(99, Shape).ToString(), s.Create(99, Shape).ToString());
        Assert.NotEqual(s.Create(99, Shape).ToString(), s.Create(100, Shape).ToString());
    }

    public static TheoryData<string> Strategies() => new(StrategyRegistry.BuiltIn.Select(s => s.Name));

    [Fact]
    public void Under_atomic_fetch_no_reader_faults()
    {
        // The patch never leaves a reader with a torn or undecodable instruction under the atomic model.
        foreach (var c in Cases)
        {
            var m = RunOnce(ScheduleOf(c));
            for (int cpu = 0; cpu < 3; cpu++)
                Assert.True(m.Cpus[cpu].State.Run != RunState.Faulted, $"{c.Strategy} seed {c.Seed} cpu{cpu}: {m.Cpus[cpu].State.Fault}");
        }
    }
}
