namespace Conformance.Machine;

/// <summary>Runs of 1 to 8 steps on CPUs drawn uniformly until the step count is reached.</summary>
public sealed class UniformRandomStrategy : IScheduleStrategy
{
    public string Name => "uniform-random";
    public string Description => "runs of 1-8 steps on uniformly drawn CPUs";

    public Schedule Create(ulong seed, ScheduleShape shape)
    {
        var rng = new SplitMix(seed);
        var runs = new List<ScheduleRun>();
        for (int left = shape.Steps; left > 0;)
        {
            int n = Math.Min(left, 1 + rng.Below(8));
            runs.Add(new ScheduleRun(rng.Below(shape.Cpus), n));
            left -= n;
        }
        var (interrupts, choices) = StrategyParts.Extras(ref rng, shape);
        return new Schedule(runs, interrupts, choices);
    }
}
