namespace Conformance.Machine;

/// <summary>
/// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): each CPU gets a distinct
/// random priority; the highest-priority enabled CPU runs; at d-1 change points the running CPU
/// drops below all others. A bug of depth d is found with probability at least 1/(n k^(d-1)),
/// k being the number of events the change points are drawn over, so they are drawn over the events
/// that matter (writer stores and syncs, fetches of watched code, deliveries), not over all steps.
/// Here d = 3. Run it with <see cref="Machine.Explore(IAdaptiveStrategy, ulong, ScheduleShape)"/>; <see cref="Create"/> is the offline
/// approximation that places change points over steps, for when no machine is at hand.
/// </summary>
public sealed class PctStrategy : IAdaptiveStrategy
{
    public const int Depth = 3;
    public string Name => "pct";
    public string Description => "probabilistic concurrency testing: random CPU priorities with 2 priority change points";

    public Schedule Create(ulong seed, ScheduleShape shape)
    {
        var rng = new SplitMix(seed);
        var priority = Enumerable.Range(0, shape.Cpus).Select(c => (long)c).ToArray();
        for (int i = priority.Length - 1; i > 0; i--)
        {
            int j = rng.Below(i + 1);
            (priority[i], priority[j]) = (priority[j], priority[i]);
        }
        var changes = Enumerable.Range(0, Depth - 1).Select(_ => rng.Below(Math.Max(1, shape.Steps))).OrderBy(x => x).ToArray();
        var runs = new List<ScheduleRun>();
        long low = -1;
        int at = 0;
        foreach (int change in changes.Append(shape.Steps))
        {
            int cpu = Array.IndexOf(priority, priority.Max());
            if (change > at) runs.Add(new ScheduleRun(cpu, change - at));
            at = Math.Max(at, change);
            priority[cpu] = low--;   // the running CPU drops below every other
        }
        var (interrupts, choices) = StrategyParts.Extras(ref rng, shape);
        return new Schedule(runs, interrupts, choices);
    }

    /// <summary>Change points are drawn over this many relevant events (an estimate of k): a quarter of the steps.</summary>
    public static int RelevantEventEstimate(ScheduleShape shape) => Math.Max(2, shape.Steps / 4);

    public IStepPicker Begin(ulong seed, ScheduleShape shape)
    {
        var rng = new SplitMix(seed ^ 0x5043_5400UL);   // "PCT": independent of Create's draws
        var priority = Enumerable.Range(0, shape.Cpus).Select(c => (long)c + Depth).ToArray();
        for (int i = priority.Length - 1; i > 0; i--)
        {
            int j = rng.Below(i + 1);
            (priority[i], priority[j]) = (priority[j], priority[i]);
        }
        int k = RelevantEventEstimate(shape);
        var changes = Enumerable.Range(0, Depth - 1).Select(_ => 1 + (long)rng.Below(k)).OrderBy(x => x).ToArray();
        return new Picker(priority, changes);
    }

    private sealed class Picker(long[] priority, long[] changes) : IStepPicker
    {
        private int _nextChange;
        private long _low = Depth - 1;
        private int _running = -1;

        public int Next(MachineView view)
        {
            // At a change point (the k-th relevant event has happened), the CPU that ran drops below every other.
            while (_nextChange < changes.Length && view.RelevantEvents >= changes[_nextChange] && _running >= 0)
            {
                priority[_running] = _low--;
                _nextChange++;
            }
            int best = -1;
            for (int c = 0; c < priority.Length; c++)
                if (view.Enabled[c] && (best < 0 || priority[c] > priority[best])) best = c;
            if (best < 0) best = Array.IndexOf(priority, priority.Max());   // nobody can progress: any step will do
            return _running = best;
        }
    }
}
