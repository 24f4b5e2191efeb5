using Conformance.Generators.Bench;
using Conformance.Machine;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// A reset machine (<see cref="Machine.Reset"/>) runs a schedule exactly as a freshly built one:
/// the same trace, fetches, choices, clock and CPU states, whatever ran on it before.
/// </summary>
public class ResetTests
{
    private static readonly ScheduleShape Shape = new(MachineRunWorkload.Cpus, 600, MaxInterrupts: 6, MaxFetchChoice: 3, FetchChoices: 30);

    private static Schedule[] Schedules() =>
    [
        .. StrategyRegistry.BuiltIn.SelectMany(s => new ulong[] { 1, 2, 3, 22, 51 }.Select(seed => s.Create(seed, Shape))),
        .. Enumerable.Range(0, 6).Select(i => new UniformRandomStrategy().Create((ulong)(100 + i), Shape with { MaxFetchChoice = 1, FetchChoices = 200 })),
    ];

    private static string Describe(Machine m) =>
        string.Join("\n", m.Trace) + "\n--\n" + string.Join("\n", m.Fetches.Select(f => f.ToString())) +
        $"\n-- choices {string.Join(",", m.FetchChoicesTaken)} now {m.Memory.Now} steps {m.Steps} events {m.RelevantEvents}\n" +
        string.Join("\n", m.Cpus.Select(c => $"{c.State.Rip:x} {c.State.Flags} {c.State.Run} {c.State.Fault} {string.Join(",", c.State.Gpr)} {c.NmiPending} {c.HasPendingInterrupts}")) +
        "\n" + string.Join("\n", m.Tasks.Select(t => $"{m.RipOf(t):x} {t.Preemptions}")) + "\n" + m.WriterStatus(MachineRunWorkload.Cpus - 1);

    private static string Fresh(Schedule s)
    {
        var m = MachineRunWorkload.Build(recordTrace: true, watchSite: true);
        MachineRunWorkload.SetWriter(m);
        m.Run(s);
        return Describe(m);
    }

    [Fact]
    public void Every_schedule_runs_on_a_reset_machine_as_on_a_fresh_one_whatever_ran_before()
    {
        var schedules = Schedules();
        var reused = new MachineRunWorkload.Reusable(recordTrace: true, watchSite: true);
        // Each schedule after a different one, then all of them again in reverse order.
        foreach (var s in schedules.Concat(schedules.Reverse()))
            Assert.Equal(Fresh(s), Describe(reused.Run(s)));
    }

    [Fact]
    public void The_runs_compared_change_code_read_stale_bytes_and_take_interrupts()
    {
        // Guards the test above against passing vacuously.
        var reused = new MachineRunWorkload.Reusable(recordTrace: true, watchSite: true);
        var runs = Schedules().Select(s => Describe(reused.Run(s))).ToArray();
        Assert.Contains(runs, r => r.Contains("writer: store", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(runs, r => r.Contains("stale", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains(" raise ", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains("int 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Reset_needs_a_marked_initial_state_taken_before_the_run()
    {
        var m = MachineRunWorkload.Build();
        Assert.Throws<InvalidOperationException>(m.Reset);
        m.Step(0);
        Assert.Throws<InvalidOperationException>(m.MarkInitial);
    }

    [Fact]
    public void Steps_allocate_nothing_once_the_machine_is_set_up()
    {
        // A long round-robin run after the patch: the allocations of a run do not grow with its steps.
        // (A fetch of watched code makes a FetchRecord, the observation P1 needs; this workload watches none.)
        var reused = new MachineRunWorkload.Reusable();
        long Allocated(int rounds)
        {
            var schedule = Schedule.RoundRobin(MachineRunWorkload.Cpus, rounds);
            reused.Run(schedule);   // warm: the decode cache and the JIT
            long before = GC.GetAllocatedBytesForCurrentThread();
            reused.Run(schedule);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long shortRun = Allocated(500), longRun = Allocated(5_500);
        Assert.True(longRun - shortRun < 20_000 / 4, $"{shortRun} bytes for 2,000 steps, {longRun} for 22,000: {(longRun - shortRun) / 20_000.0:N2} bytes per extra step");
    }
}
