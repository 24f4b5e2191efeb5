namespace Conformance.Machine;

/// <summary>What a strategy may know before each step: which CPUs can make progress, and how many events that matter have happened.</summary>
/// <param name="Enabled">Per CPU: not faulted, not halted, not idle, not a writer waiting for acknowledgements.</param>
/// <param name="RelevantEvents">Writer stores and syncs, fetches of watched code, and event deliveries so far.</param>
/// <param name="Step">Global steps taken.</param>
public readonly record struct MachineView(IReadOnlyList<bool> Enabled, long RelevantEvents, long Step);

/// <summary>Answers "who runs next?" step by step, from a seed.</summary>
public interface IStepPicker
{
    /// <summary>The CPU to take the next step; it must be in range (an enabled one, if any is).</summary>
    int Next(MachineView view);
}

/// <summary>
/// A strategy that decides as the run goes, from what the machine reports: <see cref="Machine.Explore(IAdaptiveStrategy, ulong, ScheduleShape)"/>
/// runs it and records the decisions as an ordinary <see cref="Schedule"/>, so the run replays from
/// data like any other. Its <see cref="IScheduleStrategy.Create"/> is the offline approximation.
/// </summary>
public interface IAdaptiveStrategy : IScheduleStrategy
{
    IStepPicker Begin(ulong seed, ScheduleShape shape);
}
