namespace Conformance.Machine;

/// <summary>
/// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010), as schedule data: each CPU
/// gets a distinct random priority; the highest-priority CPU runs; at d-1 change points drawn
/// uniformly over the steps, the running CPU drops below all others. A bug of depth d is found with
/// probability at least 1/(n k^(d-1)). Here d = 3 and change points are placed over steps; the
/// machine does not yet tell a strategy which steps matter (stores, site fetches, IPIs).
/// </summary>
public sealed class PctStrategy : IScheduleStrategy
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
}
