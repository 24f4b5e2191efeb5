using Conformance.Emulation;

namespace Conformance.Machine;

public sealed partial class Machine
{
    private long _relevantEvents;

    /// <summary>Events that matter to a schedule: writer stores and syncs, fetches of watched code, deliveries.</summary>
    public long RelevantEvents => _relevantEvents;

    /// <summary>Per CPU, whether a step can make progress now (a writer waiting for a sync can once every acknowledgement is in).</summary>
    public IReadOnlyList<bool> EnabledCpus() => Enumerable.Range(0, Cpus.Count).Select(IsEnabled).ToArray();

    private bool IsEnabled(int cpu)
    {
        if (WriterHoldsCpu(cpu) && _writers[cpu] is { } w) return !w.Done && (!w.Waiting || AllAcknowledged(w));
        if (_runQueues[cpu].Count == 0) return false;
        var c = Cpus[cpu];
        return c.State.Run switch
        {
            RunState.Faulted => false,
            RunState.Halted => c.NmiPending || (c.HasPendingInterrupts && c.State.InterruptsEnabled),
            _ => true,
        };
    }

    /// <summary>
    /// Whether every CPU a waiting writer's sync went to has acknowledged it (a CPU that runs no
    /// code acknowledges at the writer's next step): the writer's next step then completes the sync.
    /// </summary>
    private bool AllAcknowledged(Writer w)
    {
        for (int c = 0; c < Cpus.Count; c++)
            if (w.Pending[c] && !RunsNoCode(c)) return false;
        return true;
    }

    /// <summary>
    /// Runs <paramref name="shape"/>.Steps steps, asking an adaptive strategy before each which CPU
    /// takes it, and returns what happened as schedule data (runs, plus the strategy's interrupts
    /// and fetch choices): running that schedule on a fresh machine replays this run exactly.
    /// </summary>
    public Schedule Explore(IAdaptiveStrategy strategy, ulong seed, ScheduleShape shape)
    {
        if (shape.Cpus != Cpus.Count) throw new ArgumentException($"shape.Cpus = {shape.Cpus}: the machine has {Cpus.Count} CPU(s)");
        var data = strategy.Create(seed, shape);   // interrupts and fetch choices come from the offline draw
        return Explore(strategy.Name, strategy.Begin(seed, shape), shape.Steps, data.Interrupts, data.FetchChoices);
    }

    /// <summary>
    /// Runs <paramref name="steps"/> steps with the given interrupts and fetch choices, the strategy
    /// (seeded with <paramref name="seed"/>) picking the CPU of each step; returns the run as schedule
    /// data (runs, and these interrupts and fetch choices), which replays it exactly.
    /// </summary>
    public Schedule Explore(IAdaptiveStrategy strategy, ulong seed, int steps, IReadOnlyList<ScheduledInterrupt> interrupts, IReadOnlyList<int> fetchChoices) =>
        Explore(strategy.Name, strategy.Begin(seed, new ScheduleShape(Cpus.Count, steps)), steps, interrupts, fetchChoices);

    private Schedule Explore(string strategy, IStepPicker picker, int steps, IReadOnlyList<ScheduledInterrupt> interrupts, IReadOnlyList<int> fetchChoices)
    {
        var runs = new List<ScheduleRun>();
        var recorded = new Schedule(runs, interrupts, fetchChoices);
        recorded.Validate(Cpus.Count);
        UseFetchChoices(fetchChoices);
        var queue = new InterruptQueue(interrupts);
        var enabled = new bool[Cpus.Count];   // one buffer for the whole run: no allocation per step
        for (int k = 0; k < steps; k++)
        {
            queue.RaiseDue(this);
            for (int c = 0; c < enabled.Length; c++) enabled[c] = IsEnabled(c);
            int cpu = picker.Next(new MachineView(enabled, _relevantEvents, _step));
            if (cpu < 0 || cpu >= Cpus.Count) throw new InvalidOperationException($"strategy '{strategy}' picked cpu{cpu}; the machine has {Cpus.Count}");
            Step(cpu);
            if (runs.Count > 0 && runs[^1].Cpu == cpu) runs[^1] = runs[^1] with { Steps = runs[^1].Steps + 1 };
            else runs.Add(new ScheduleRun(cpu, 1));
        }
        return recorded with { Runs = runs.ToArray() };
    }
}
