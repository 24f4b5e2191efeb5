using Conformance.Machine;

namespace Conformance.Generators;

/// <summary>
/// How the cases of a campaign get their schedules. <c>uniform-random</c> (the default): the
/// schedule is data in the generated case (runs of 1 to 16 steps on CPUs drawn uniformly), so
/// FsCheck shrinks it directly. An adaptive strategy (<c>pct</c>): the case carries a seed instead,
/// and the strategy picks the CPU of each scheduled step as the run goes, switching only at the
/// events that matter; a failing run is recorded back as runs (the first shrink), which replay it
/// exactly and shrink like any other schedule. Both draw the same layouts, interrupts, fetch
/// choices and step counts from the same seed: only who runs when differs.
/// </summary>
public sealed class ScheduleSearch
{
    private ScheduleSearch(string name, string description, IAdaptiveStrategy? strategy)
    {
        Name = name;
        Description = description;
        Strategy = strategy;
    }

    /// <summary>The name of the default search, the one every campaign used before strategies were a choice.</summary>
    public const string DefaultName = "uniform-random";

    /// <summary>The schedule's runs are generated data (the default).</summary>
    public static ScheduleSearch UniformRandom { get; } =
        new(DefaultName, "the schedule is generated data: runs of 1-16 steps on uniformly drawn CPUs, shrunk by FsCheck", null);

    /// <summary>Stable kebab-case name (a strategy's name).</summary>
    public string Name { get; }
    public string Description { get; }

    /// <summary>The adaptive strategy that picks each step, or null when the schedule is generated data.</summary>
    public IAdaptiveStrategy? Strategy { get; }

    public bool IsDefault => Strategy is null;

    /// <summary>Every search: the default, then each adaptive strategy of the registry (adding one is one file there).</summary>
    public static IReadOnlyList<ScheduleSearch> All { get; } =
    [
        UniformRandom,
        .. StrategyRegistry.BuiltIn.OfType<IAdaptiveStrategy>().Select(s => new ScheduleSearch(s.Name, s.Description + ", switching CPUs only at events that matter", s)),
    ];

    /// <summary>The search called <paramref name="name"/>; an unknown name throws an <see cref="ArgumentException"/> listing the known ones.</summary>
    public static ScheduleSearch Get(string name) =>
        All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown schedule strategy '{name}'; known: {string.Join(", ", All.Select(s => s.Name))}");

    public override string ToString() => Name;
}
