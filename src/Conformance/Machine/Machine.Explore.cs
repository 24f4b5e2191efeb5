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
        if (_writers[cpu] is { } w && (_runQueues[cpu].Count == 0 || (_writerRunning[cpu] && !w.Done))) return !w.Done && (!w.Waiting || AllAcknowledged(w));
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
        var picker = strategy.Begin(seed, shape);
        var runs = new List<ScheduleRun>();
        var recorded = data with { Runs = runs };
        recorded.Validate(Cpus.Count);
        UseFetchChoices(data.FetchChoices);
        var interrupts = new InterruptQueue(data.Interrupts);
        for (int k = 0; k < shape.Steps; k++)
        {
            interrupts.RaiseDue(this);
            int cpu = picker.Next(new MachineView(EnabledCpus(), _relevantEvents, _step));
            if (cpu < 0 || cpu >= Cpus.Count) throw new InvalidOperationException($"strategy '{strategy.Name}' picked cpu{cpu}; the machine has {Cpus.Count}");
            Step(cpu);
            if (runs.Count > 0 && runs[^1].Cpu == cpu) runs[^1] = runs[^1] with { Steps = runs[^1].Steps + 1 };
            else runs.Add(new ScheduleRun(cpu, 1));
        }
        return recorded with { Runs = runs.ToArray() };
    }
}
