using Conformance.Machine;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>Schedules are data from outside (strategies, files, shrinkers): bad data is refused with a message naming the field.</summary>
public class ScheduleValidationTests
{
    private static Schedule Runs(params ScheduleRun[] runs) => Schedule.Empty with { Runs = runs };

    [Fact]
    public void A_run_on_a_cpu_out_of_range_is_named_with_its_index_and_the_valid_range()
    {
        var schedule = Runs(new ScheduleRun(0, 3), new ScheduleRun(5, 1));
        var e = Assert.Throws<ArgumentException>(() => schedule.Validate(2));
        Assert.StartsWith("Runs[1].Cpu = 5:", e.Message);
        Assert.Contains("0..1", e.Message);
    }

    [Fact]
    public void A_negative_cpu_is_out_of_range_too()
    {
        var e = Assert.Throws<ArgumentException>(() => Runs(new ScheduleRun(-1, 1)).Validate(4));
        Assert.StartsWith("Runs[0].Cpu = -1:", e.Message);
    }

    [Fact]
    public void A_negative_step_count_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Runs(new ScheduleRun(0, 2), new ScheduleRun(1, -4)).Validate(2));
        Assert.StartsWith("Runs[1].Steps = -4:", e.Message);
        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void An_interrupt_for_a_missing_cpu_is_refused()
    {
        var schedule = Schedule.Empty with { Interrupts = [new ScheduledInterrupt(3, 2, InterruptKind.Timer)] };
        var e = Assert.Throws<ArgumentException>(() => schedule.Validate(2));
        Assert.StartsWith("Interrupts[0].Cpu = 2:", e.Message);
        Assert.Contains("no such CPU", e.Message);
    }

    [Fact]
    public void An_interrupt_at_a_negative_step_is_refused()
    {
        var schedule = Schedule.Empty with
        {
            Interrupts = [new ScheduledInterrupt(0, 0, InterruptKind.Nmi), new ScheduledInterrupt(-3, 1, InterruptKind.Timer)],
        };
        var e = Assert.Throws<ArgumentException>(() => schedule.Validate(2));
        Assert.StartsWith("Interrupts[1].AtStep = -3:", e.Message);
        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void An_interrupt_of_no_known_kind_is_refused()
    {
        var schedule = Schedule.Empty with { Interrupts = [new ScheduledInterrupt(0, 0, (InterruptKind)7)] };
        var e = Assert.Throws<ArgumentException>(() => schedule.Validate(1));
        Assert.StartsWith("Interrupts[0].Kind = 7:", e.Message);
    }

    [Fact]
    public void A_negative_fetch_choice_is_named_by_its_index()
    {
        var schedule = Schedule.Empty with { FetchChoices = [0, 3, -1] };
        var e = Assert.Throws<ArgumentException>(() => schedule.Validate(1));
        Assert.StartsWith("FetchChoices[2] = -1:", e.Message);
        Assert.Contains("cannot be negative", e.Message);
    }

    [Fact]
    public void A_valid_schedule_passes_and_counts_its_steps()
    {
        var schedule = new Schedule(
            [new ScheduleRun(0, 3), new ScheduleRun(1, 0), new ScheduleRun(1, 4)],
            [new ScheduledInterrupt(0, 1, InterruptKind.PreemptingTimer), new ScheduledInterrupt(100, 0, InterruptKind.Nmi)],
            [0, 2, 15]);
        schedule.Validate(2);
        Assert.Equal(7, schedule.TotalSteps);
        Assert.Equal("runs [cpu0x3 cpu1x0 cpu1x4] interrupts [PreemptingTimer@0->cpu1 Nmi@100->cpu0] fetch [0,2,15]", schedule.ToString());
    }

    [Fact]
    public void Round_robin_gives_each_cpu_its_turn_in_order()
    {
        var schedule = Schedule.RoundRobin(3, 2, stepsEach: 2);
        Assert.Equal("runs [cpu0x2 cpu1x2 cpu2x2 cpu0x2 cpu1x2 cpu2x2] interrupts [] fetch []", schedule.ToString());
        Assert.Equal(12, schedule.TotalSteps);
    }

    [Fact]
    public void Run_refuses_bad_data_before_taking_any_step()
    {
        var machine = SpinningMachine();
        var schedule = new Schedule([new ScheduleRun(0, 3), new ScheduleRun(5, 1)], [], []);

        var e = Assert.Throws<ArgumentException>(() => machine.Run(schedule));

        Assert.StartsWith("Runs[1].Cpu = 5:", e.Message);
        Assert.Equal(0, machine.Steps);             // the valid first run did not start either
        Assert.Empty(machine.Trace);
        Assert.Equal(0, machine.Memory.Now);
        Assert.Equal(MachineLayout.Text, machine.Cpus[0].State.Rip);
        Assert.False(machine.Cpus[0].HasPendingInterrupts);
    }

    [Fact]
    public void Run_refuses_a_bad_interrupt_without_raising_the_good_ones()
    {
        var machine = SpinningMachine();
        var schedule = new Schedule([new ScheduleRun(0, 2)],
            [new ScheduledInterrupt(0, 0, InterruptKind.Timer), new ScheduledInterrupt(1, 3, InterruptKind.Nmi)], []);

        var e = Assert.Throws<ArgumentException>(() => machine.Run(schedule));

        Assert.StartsWith("Interrupts[1].Cpu = 3:", e.Message);
        Assert.Equal(0, machine.Steps);
        Assert.False(machine.Cpus[0].IsPending(Machine.TimerVector));
        Assert.False(machine.Cpus[0].NmiPending);
    }

    [Fact]
    public void Run_refuses_a_negative_fetch_choice_and_keeps_the_previous_run_results()
    {
        var machine = SpinningMachine();
        machine.Run(new Schedule([new ScheduleRun(0, 2)], [], []));
        var trace = machine.Trace.ToArray();

        var e = Assert.Throws<ArgumentException>(() => machine.Run(new Schedule([new ScheduleRun(0, 2)], [], [0, 0, -2])));

        Assert.StartsWith("FetchChoices[2] = -2:", e.Message);
        Assert.Equal(2, machine.Steps);
        Assert.Equal(trace, machine.Trace);
    }

    [Fact]
    public void A_valid_schedule_runs_exactly_its_steps()
    {
        var machine = SpinningMachine();
        machine.Run(new Schedule([new ScheduleRun(0, 3), new ScheduleRun(1, 2), new ScheduleRun(0, 1)], [], []));
        Assert.Equal(6, machine.Steps);
        Assert.Equal(6, machine.Trace.Count(l => l.Contains("jmp", StringComparison.Ordinal)));
        Assert.Equal(4, machine.Trace.Count(l => l.Contains(" cpu0 ", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_interrupt_is_raised_just_before_its_step()
    {
        var machine = SpinningMachine();
        machine.Run(new Schedule([new ScheduleRun(0, 2), new ScheduleRun(1, 2)], [new ScheduledInterrupt(2, 1, InterruptKind.Timer)], []));
        var lines = machine.Trace.Select(l => l.Trim()).ToArray();
        Assert.Equal("2 cpu1 raise Timer", lines[2]);
        Assert.StartsWith("2 cpu1 event delivered at 0x400000 -> 0x", lines[3]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(-1)]
    public void A_machine_has_1_to_8_cpus(int cpus)
    {
        var options = new MachineOptions { Cpus = cpus };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.StartsWith($"Cpus = {cpus}:", e.Message);
        Assert.Contains("1 to 8", e.Message);
        Assert.Throws<ArgumentException>(() => new Machine(options));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void One_and_eight_cpus_are_allowed(int cpus)
    {
        var machine = new Machine(new MachineOptions { Cpus = cpus });
        Assert.Equal(cpus, machine.Cpus.Count);
        Assert.Equal(Enumerable.Range(0, cpus), machine.Cpus.Select(c => c.Id));
    }

    [Fact]
    public void A_negative_staleness_window_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Machine(new MachineOptions { StalenessWindow = -1 }));
        Assert.StartsWith("StalenessWindow = -1:", e.Message);
    }

    [Fact]
    public void Fetch_choices_refuse_negatives_naming_the_position()
    {
        var e = Assert.Throws<ArgumentException>(() => new FetchChoices([1, 0, 0, -5]));
        Assert.Contains("#3", e.Message);
        Assert.Contains("-5", e.Message);
    }

    [Fact]
    public void Fetch_choices_are_clamped_consumed_only_when_there_is_a_choice_and_zero_past_the_end()
    {
        var choices = new FetchChoices([9, 1]);
        Assert.Equal(0, choices.Next(1));   // one version: nothing to choose, nothing consumed
        Assert.Equal(2, choices.Next(3));   // 9 clamped to the oldest of three
        Assert.Equal(1, choices.Next(2));
        Assert.Equal(0, choices.Next(4));   // past the end: coherent
        Assert.Equal(new[] { 2, 1, 0 }, choices.Taken);
        Assert.Equal(new[] { 3, 2, 4 }, choices.Options);
    }

    [Fact]
    public void Adding_a_task_or_writer_on_a_missing_cpu_names_the_argument()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 2 });
        var e = Assert.Throws<ArgumentException>(() => machine.AddTask(2, "t", MachineLayout.Text));
        Assert.StartsWith("cpu = 2:", e.Message);
        Assert.Throws<ArgumentException>(() => machine.SetWriter(-1, []));
    }

    /// <summary>Two CPUs, each with one task spinning on <c>jmp $</c>, tracing.</summary>
    private static Machine SpinningMachine()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 2, RecordTrace = true });
        MachineLayout.Spin(machine.Memory, MachineLayout.Text);
        machine.AddTask(0, "spin0", MachineLayout.Text);
        machine.AddTask(1, "spin1", MachineLayout.Text);
        return machine;
    }
}
