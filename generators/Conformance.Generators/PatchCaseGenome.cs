namespace Conformance.Generators;

/// <summary>
/// The raw choices for one site; <see cref="PatchCaseRealizer"/> maps them onto a site the patcher
/// accepts. <c>Again</c> and <c>Rival</c> below -1 mean none: no second, consecutive patch of the
/// site; no concurrent patch of it.
/// </summary>
public sealed record SiteGenome(int Kind, int Offset, bool CalleeSaved, int From, int To, int Again, bool InterruptsOff = false, int Rival = -2, bool Spinlock = false)
{
    public override string ToString() =>
        $"site(kind {Kind}, offset {Offset}{(CalleeSaved ? ", callee-saved" : "")}{(InterruptsOff ? ", IRQs off" : "")}{(Spinlock ? ", under a spinlock" : "")}, target {From} -> {To}" +
        $"{(Again >= -1 ? $" -> {Again}" : "")}{(Rival >= -1 ? $", concurrently -> {Rival}" : "")})";
}

/// <summary>A raw run of the schedule: which CPU (taken modulo the CPU count) and how many steps.</summary>
public readonly record struct RunGenome(int Cpu, int Steps);

/// <summary>
/// A raw interrupt: when (modulo the steps), on which reader (modulo the readers), which kind
/// (0 timer, 1 preempting timer, 2 NMI), and whether it waits from then for the CPU's next
/// interrupt shadow.
/// </summary>
public readonly record struct InterruptGenome(int At, int Cpu, int Kind, bool InShadow = false);

/// <summary>A schedule left to an adaptive strategy (<see cref="ScheduleSearch"/>): which one, and its seed.</summary>
public sealed record ExploreGenome(string Strategy, ulong Seed);

/// <summary>
/// One generated scenario, as raw choices: every part shrinks on its own toward the simplest
/// (fewer CPUs and sites, no interrupts, shorter schedules, coherent fetches), and
/// <see cref="PatchCaseRealizer"/> maps any genome onto a valid case for a given patcher, so no
/// generated value is ever filtered out.
/// </summary>
public sealed record PatchCaseGenome(int Cpus, SiteGenome[] Sites, int TasksPerCpu,
    RunGenome[] Runs, InterruptGenome[] Interrupts, int[] FetchChoices, bool PatcherRunsSites = false)
{
    public int Steps => Runs.Sum(r => r.Steps);

    /// <summary>When set, a strategy picks the CPU of each of the <see cref="Steps"/> scheduled steps (the runs give only their number).</summary>
    public ExploreGenome? Explore { get; init; }

    /// <summary>The raw choices (not yet a case: the tests' and tools' messages show the realized case, in Reporting.CaseNotation).</summary>
    public override string ToString() =>
        $"{Cpus} CPUs, {string.Join(", ", Sites.Select(s => s.ToString()))}, {TasksPerCpu} task(s)/CPU{(PatcherRunsSites ? " (the patching CPU too)" : "")}, " +
        (Explore is { } x ? $"{Steps} steps explored by {x.Strategy} (seed {x.Seed}), " : $"{Runs.Length} runs / {Steps} steps [{string.Join(" ", Runs.Select(r => $"{r.Cpu}x{r.Steps}"))}], ") +
        $"interrupts [{string.Join(" ", Interrupts.Select(i => $"{(i.Kind switch { 0 => "timer", 1 => "preempt", _ => "nmi" })}@{i.At}{(i.InShadow ? "+shadow" : "")}/cpu{i.Cpu}"))}], " +
        $"fetch [{string.Join(",", FetchChoices)}]";
}
