using Conformance.Machine;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>PCT over the events that matter: an adaptive strategy run by <see cref="Machine.Explore(IAdaptiveStrategy, ulong, ScheduleShape)"/>, recorded as schedule data.</summary>
public class ExploreTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(77UL)]
    public void An_explored_run_replays_from_the_schedule_it_records(ulong seed)
    {
        var explored = ReplayTests.Build();
        var schedule = explored.Explore(new PctStrategy(), seed, ReplayTests.Shape);

        Assert.Equal(ReplayTests.Shape.Steps, schedule.TotalSteps);
        var replayed = ReplayTests.Build();
        replayed.Run(schedule);
        Assert.Equal(string.Join("\n", explored.Trace), string.Join("\n", replayed.Trace));
        Assert.Null(ReplayTests.Build().Replay(schedule, explored.Trace));
    }

    [Fact]
    public void Pct_runs_the_highest_priority_enabled_cpu_and_changes_priority_only_at_relevant_events()
    {
        var picker = new PctStrategy().Begin(5, new ScheduleShape(3, 100));
        bool[] all = [true, true, true];
        int first = picker.Next(new MachineView(all, 0, 0));
        Assert.Equal(first, picker.Next(new MachineView(all, 0, 1)));         // no relevant event: same CPU
        Assert.Equal(first, picker.Next(new MachineView(all, 0, 50)));
        var disabled = all.ToArray();
        disabled[first] = false;
        int second = picker.Next(new MachineView(disabled, 0, 51));           // a blocked CPU is skipped
        Assert.NotEqual(first, second);
        // Past every change point, the CPU that ran last has dropped below the others.
        int last = picker.Next(new MachineView(all, long.MaxValue, 52));
        Assert.NotEqual(second, last);
    }

    [Fact]
    public void Explore_counts_the_events_that_matter()
    {
        var machine = ReplayTests.Build();
        machine.Explore(new PctStrategy(), 3, ReplayTests.Shape);
        Assert.True(machine.RelevantEvents >= machine.Fetches.Count);
        Assert.True(machine.Fetches.Count > 0);
    }

    [Fact]
    public void A_writer_waiting_for_acknowledgements_is_not_enabled()
    {
        var machine = ReplayTests.Build();
        machine.Step(3);   // int3 store
        machine.Step(3);   // sync: now waiting
        Assert.Equal([true, true, true, false], machine.EnabledCpus());
    }

    [Fact]
    public void A_writer_whose_sync_every_cpu_acknowledged_is_enabled_again()
    {
        var machine = ReplayTests.Build();
        machine.Step(3);   // int3 store
        machine.Step(3);   // sync: waiting
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(MachineStepKind.Delivered, machine.Step(c));   // the IPI
            machine.Step(c);                                            // its handler acknowledges
        }
        Assert.Equal([true, true, true, true], machine.EnabledCpus());
        Assert.Equal(MachineStepKind.Writer, machine.Step(3));          // the step completes the sync
    }
}
