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

    /// <summary>The most interrupts the deepening delivers (a preempting timer; an NMI in an STI shadow on an NMI row).</summary>
    public const int MaxInterrupts = 2;

    /// <summary>
    /// The explorer's smallest counterexample for the row, the scenario it was found in, or why it has
    /// none. Iterative deepening, the first counterexample wins: CPUs (2, 3), then interrupts delivered
    /// (0 to <see cref="MaxInterrupts"/>; with one or more, 2 tasks per reader), sites (1, 2: adjacent
    /// where the mutant needs it), consecutive patches (1, 2), sites run with IRQs on then off, the
    /// preferred layout then every layout class, and inside one exploration 0 to
    /// <see cref="MaxPreemptions"/> preemptions. Sites use the C ABI unless the row's failure is
    /// declared for callee-saved callers only (r10-r11-divert), then that ABI.
    /// </summary>
    public static (CounterexampleSize? Size, string? Scenario, string? OutOfReach) Smallest(KnownBadRow row, int maxExecutions = 20_000)
    {
        string? why = null;
        foreach (var shape in Shapes())
        {
            var (size, declined) = At(row, shape, maxExecutions);
            if (size is not null) return (size, shape.ToString(), null);
            why ??= declined;
        }
        return (null, null, why ?? $"no counterexample within {MaxPreemptions} preemptions, {MaxInterrupts} interrupts, 2-3 CPUs, 1-2 sites, 1-2 patches, IRQs on and off, every layout class ({maxExecutions:N0} executions per exploration at most)");
    }

    /// <summary>The shapes the deepening tries, in order (the first with a counterexample gives the smallest).</summary>
    public static IEnumerable<ExplorerShape> Shapes() =>
        from cpus in new[] { 2, 3 }
        from interrupts in Enumerable.Range(0, MaxInterrupts + 1)
        from sites in new[] { 1, 2 }
        from patches in new[] { 1, 2 }
        from irqsOff in new[] { false, true }
        from allLayouts in new[] { false, true }
        select new ExplorerShape(cpus, interrupts, sites, patches, irqsOff, allLayouts);

    /// <summary>
    /// The explorer's first counterexample for the row in one shape, or null and why not when the patcher
    /// declines the scenario or the shape cannot show the row's failure (null and null: none found there). Deterministic, so a
    /// test re-checks a recorded minimum cheaply at the shape it was found in.
    /// </summary>
    public static (CounterexampleSize? Size, string? Declined) At(KnownBadRow row, ExplorerShape shape, int maxExecutions = 20_000)
    {
        var patcher = row.Patcher.Create();
        var mutant = MutantRegistry.All.FirstOrDefault(m => m.Name == row.Patcher.Name);
        var scenario = ExhaustiveScenario.For(patcher, shape.Cpus, shape.Sites, out string? declined, shape.IrqsOff, adjacent: shape.Sites == 2 && mutant?.AdjacentSites == true,
            tasks: shape.Interrupts > 0 ? 2 : 1, patches: shape.Patches, nmiMayEndStiShadow: row.Nmi);
        if (scenario is null) return (null, declined);
        if (CalleeSavedOnly(row))
            scenario = scenario with { Case = scenario.Case with { Sites = scenario.Case.Sites.Select(x => x with { Abi = Abi.CalleeSaved }).ToArray() } };
        var bound = new ExhaustiveBound(MaxPreemptions, MaxExecutions: maxExecutions) { Interrupts = shape.Interrupts };
        // A shape that cannot show the row's failure is skipped (spec/exhaustive.md, "Out of reach"); not for a
        // deadlock, which the rule ties to IRQs-off sites while the IF-clearing mutant deadlocks with IRQs on.
        var failure = MatrixCampaign.ExpectedFailure(row.Patcher.Expectations, row.Model.Name, row.Nmi);
        if (failure is { } kind && kind != FailureKind.Deadlock && scenario.OutOfReach(kind, bound) is { } reach) return (null, reach);
        var layouts = ExhaustiveLayouts.For(patcher, scenario, row.Model, shape.AllLayouts ? LayoutChoice.All : LayoutChoice.Preferred);
        ExhaustiveLayouts.Explore(row.Patcher.Create, row.Model, scenario, layouts, bound, out var combined);
        return (combined.Counterexample is { } cx ? CounterexampleSize.Of(cx.Case, cx.Result) : null, null);
    }

    /// <summary>Whether every failure the row declares applies to callee-saved callers only (the explorer's scenario uses the C ABI otherwise).</summary>
    private static bool CalleeSavedOnly(KnownBadRow row) =>
        row.Patcher.Expectations.Where(e => e.Verdict == ExpectedVerdict.Fail) is var fails && fails.Any() && fails.All(e => e.Abi == Abi.CalleeSaved);
}

/// <summary>
/// One scenario of the explorer's deepening for a row: CPUs, interrupts delivered (with one or more, 2
/// tasks per reader), sites, consecutive patches, sites run with IRQs off, every layout class (else the preferred layout).
/// </summary>
public sealed record ExplorerShape(int Cpus, int Interrupts, int Sites, int Patches, bool IrqsOff, bool AllLayouts)
{
    public override string ToString() =>
        $"{Cpus} CPUs, {Interrupts} interrupt(s), {Sites} site(s), {Patches} patch(es){(IrqsOff ? ", IRQs off" : "")}, {(AllLayouts ? "every layout class" : "preferred layout")}";
}
