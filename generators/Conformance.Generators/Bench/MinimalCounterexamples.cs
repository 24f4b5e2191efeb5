using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Generators.Campaigns;
using Conformance.Patching;
using Conformance.Patching.Mutants;

namespace Conformance.Generators.Bench;

/// <summary>The size of one counterexample: machine CPUs, scheduled interrupts, schedule runs, and steps up to and including the offending one.</summary>
public sealed record CounterexampleSize(int Cpus, int Interrupts, int Runs, long Steps, string Property)
{
    /// <summary>The size of a checked case: steps are the first violation's step plus one (a violation found when the run had ended: the run's steps).</summary>
    public static CounterexampleSize Of(PatchCase c, CaseResult r) =>
        new(c.Cpus, c.Schedule.Interrupts.Count, c.Schedule.Runs.Count, r.First!.Step + 1, r.First.Property);

    public override string ToString() => $"{Cpus} CPUs, {Interrupts} interrupts, {Runs} runs, {Steps} steps ({Property})";
}

/// <summary>
/// One known-bad row: the random search's minimized counterexample (fixed seed) against the smallest
/// counterexample the exhaustive explorer finds for the row, or why the explorer cannot reach it.
/// </summary>
public sealed record MinimalRow(KnownBadRow Row, CounterexampleSize? Minimized, string? Token, CounterexampleSize? Explorer, string? ExplorerScenario, string? OutOfReach)
{
    /// <summary>Whether the row meets the target: CPUs and interrupts at most the explorer's (the explorer's scenario has at least 2 CPUs), steps within 1.5x.</summary>
    public bool MeetsTarget => Minimized is { } m && Explorer is { } x && m.Cpus <= x.Cpus && m.Interrupts <= x.Interrupts && m.Steps <= 1.5 * x.Steps;
}

/// <summary>
/// The table of spec/performance.md, "Minimal counterexamples": for every known-bad row (the catalog's,
/// <see cref="KnownBadRows"/>, then the mutants' that the random search can show), the minimized
/// counterexample of the row's cell at the suite's fixed seed, and the explorer's smallest by iterative
/// deepening: 2 CPUs then 3, 1 site then 2 (adjacent where the mutant needs it), sites with IRQs off
/// where the failure is a deadlock, 0 to <see cref="MaxPreemptions"/> preemptions (the explorer deepens
/// itself), first at the preferred layout, then at every layout class. The first counterexample in
/// that order is the smallest the explorer finds.
/// </summary>
public static class MinimalCounterexamples
{
    public const int MaxPreemptions = 3;

    /// <summary>Every known-bad row: the catalog's, then the mutants' (first failing model each).</summary>
    public static IReadOnlyList<KnownBadRow> Rows() =>
        [.. KnownBadRows.Of(PatcherRegistry.BuiltIn), .. KnownBadRows.Of(MutantRegistry.All.Where(m => m.RandomOutOfReach is null && !m.NeedsConcurrentWriter).Select(m => m.Patcher))];

    /// <summary>The row's cell at the fixed seed, its counterexample minimized (as every cell's is).</summary>
    public static MatrixCell Random(KnownBadRow row, int cap = 3000) =>
        MatrixCampaign.RunCell(row.Patcher, row.Model, row.Nmi, cap, PropertySettings.DefaultSeed, failRuns: cap);

    public static MinimalRow Measure(KnownBadRow row, int cap = 3000, int maxExecutions = 20_000)
    {
        var cell = Random(row, cap);
        var minimized = cell.ShrunkCase is { } c && cell.Shrunk is { Passed: false } r ? CounterexampleSize.Of(c, r) : null;
        var (explorer, scenario, why) = Smallest(row, maxExecutions);
        return new MinimalRow(row, minimized, cell.Token?.ToString(), explorer, scenario, why);
    }

    /// <summary>The explorer's smallest counterexample for the row, the scenario it was found in, or why it has none.</summary>
    public static (CounterexampleSize? Size, string? Scenario, string? OutOfReach) Smallest(KnownBadRow row, int maxExecutions = 20_000)
    {
        if (row.Nmi) return (null, null, "an NMI inside the STI shadow: the explorer raises no interrupts");
        var patcher = row.Patcher.Create();
        var mutant = MutantRegistry.All.FirstOrDefault(m => m.Name == row.Patcher.Name);
        var failure = MatrixCampaign.ExpectedFailure(row.Patcher.Expectations, row.Model.Name, row.Nmi);
        bool irqsOff = failure == FailureKind.Deadlock;
        string? why = null;
        foreach (int cpus in new[] { 2, 3 })
            foreach (int sites in new[] { 1, 2 })
            {
                var scenario = ExhaustiveScenario.For(patcher, cpus, sites, out string? declined, irqsOff, adjacent: sites == 2 && mutant?.AdjacentSites == true);
                if (scenario is null) { why ??= declined; continue; }
                var bound = new ExhaustiveBound(MaxPreemptions, MaxExecutions: maxExecutions);
                if (failure is { } kind && scenario.OutOfReach(kind, bound) is { } reach) return (null, null, reach);
                foreach (var choice in new[] { LayoutChoice.Preferred, LayoutChoice.All })
                {
                    var layouts = ExhaustiveLayouts.For(patcher, scenario, row.Model, choice);
                    ExhaustiveLayouts.Explore(row.Patcher.Create, row.Model, scenario, layouts, bound, out var combined);
                    if (combined.Counterexample is { } cx)
                        return (CounterexampleSize.Of(cx.Case, cx.Result) with { }, $"{cpus} CPUs, {sites} site(s){(irqsOff ? " with IRQs off" : "")}, {cx.Preemptions} preemption(s), {(choice == LayoutChoice.Preferred ? "preferred layout" : "a layout class")}", null);
                }
            }
        return (null, null, why ?? $"no counterexample within {MaxPreemptions} preemptions, 2-3 CPUs, 1-2 sites, every layout class ({maxExecutions:N0} executions per exploration at most)");
    }
}
