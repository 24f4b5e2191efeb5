namespace Conformance.Machine;

/// <summary>
/// A schedule made as the run goes: <see cref="Steps"/> steps, the CPU of each picked by an adaptive
/// strategy seeded with <see cref="Seed"/> (see <see cref="Machine.Explore(IAdaptiveStrategy, ulong, int, IReadOnlyList{ScheduledInterrupt}, IReadOnlyList{int})"/>).
/// The same strategy, seed and machine give the same run; the run comes back as ordinary schedule data.
/// </summary>
public sealed record ScheduleExploration(IAdaptiveStrategy Strategy, ulong Seed, int Steps)
{
    public override string ToString() => $"{Strategy.Name} (seed {Seed}, {Steps} steps)";
}
