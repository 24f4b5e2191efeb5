using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>Which layouts of the sites an exhaustive cell explores (<c>check --exhaustive --layout-classes</c>).</summary>
public enum LayoutChoice : byte
{
    /// <summary>The scenario's preferred line offsets only (site 0 at 62, site 1 at 30).</summary>
    Preferred,
    /// <summary>One representative of every layout class of the fetch model (spec/exhaustive.md).</summary>
    All,
    /// <summary>Every line offset the patcher accepts (the classes' claim checked the long way; for measuring).</summary>
    EveryOffset,
}

/// <summary>One layout to explore: a name (the class, per site) and the line offset of each site.</summary>
public sealed record ExhaustiveLayout(string Name, IReadOnlyList<int> Offsets)
{
    public override string ToString() => $"{Name} @{string.Join(",", Offsets)}";
}

/// <summary>One layout's exploration in a cell over several layouts.</summary>
public sealed record LayoutResult(ExhaustiveLayout Layout, ExhaustiveScenario Scenario, ExhaustiveResult Result);

/// <summary>
/// The layouts of a scenario under a fetch model, and the exploration of a cell over them: every
/// layout's scenario explored in turn (stopping at the first counterexample, as one exploration
/// does), the counts added up.
/// </summary>
public static class ExhaustiveLayouts
{
    /// <summary>Parses the option's value: <c>preferred</c>, <c>all</c> or <c>every-offset</c>.</summary>
    public static LayoutChoice Parse(string text) => text switch
    {
        "preferred" => LayoutChoice.Preferred,
        "all" => LayoutChoice.All,
        "every-offset" => LayoutChoice.EveryOffset,
        _ => throw new ArgumentException($"'{text}' is not a layout choice (preferred, all or every-offset)"),
    };

    public static string Name(LayoutChoice choice) => choice switch
    {
        LayoutChoice.Preferred => "preferred",
        LayoutChoice.All => "all",
        _ => "every-offset",
    };

    /// <summary>
    /// The classes of each site of <paramref name="basis"/> under <paramref name="model"/> (the
    /// other sites at their preferred offsets; sites lie in separate 64-byte lines, so one site's
    /// class does not depend on another's offset).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<SiteLayoutClass>> SiteClasses(IPatcher patcher, ExhaustiveScenario basis, IFetchModel model) =>
        Enumerable.Range(0, basis.SiteCount)
            .Select(i => LayoutClasses.Of(model, ExhaustiveScenario.SlotOf(i), basis.Candidates(patcher, i), basis.Offsets[i]))
            .ToArray();

    /// <summary>The layouts <paramref name="choice"/> asks for: for several sites, every combination of their classes (or offsets).</summary>
    public static IReadOnlyList<ExhaustiveLayout> For(IPatcher patcher, ExhaustiveScenario basis, IFetchModel model, LayoutChoice choice)
    {
        var classes = SiteClasses(patcher, basis, model);
        string ClassOf(int site, int offset) => classes[site].First(c => c.Offsets.Contains(offset)).Name;
        IEnumerable<IReadOnlyList<(string Name, int Offset)>> perSite = choice switch
        {
            LayoutChoice.Preferred => basis.Offsets.Select((o, i) => (IReadOnlyList<(string, int)>)[(ClassOf(i, o), o)]),
            LayoutChoice.All => classes.Select(cs => (IReadOnlyList<(string, int)>)cs.Select(c => (c.Name, c.Representative)).ToArray()),
            _ => classes.Select((cs, i) => (IReadOnlyList<(string, int)>)cs.SelectMany(c => c.Offsets).Order().Select(o => (ClassOf(i, o), o)).ToArray()),
        };
        IEnumerable<IReadOnlyList<(string Name, int Offset)>> product = [[]];
        foreach (var site in perSite)
            product = product.SelectMany(prefix => site.Select(s => (IReadOnlyList<(string, int)>)[.. prefix, s])).ToArray();
        return product.Select(p => new ExhaustiveLayout(
            p.Count == 1 ? p[0].Name : string.Join(" ", p.Select((s, i) => $"s{i}:{s.Name}")), p.Select(s => s.Offset).ToArray())).ToArray();
    }

    /// <summary>
    /// Explores <paramref name="layouts"/> in order, each with its own scenario (<see cref="ExhaustiveScenario.Moved"/>),
    /// stopping at the first counterexample; <paramref name="combined"/> adds up the counts (the first
    /// counterexample, or incomplete when some layout was, else verified).
    /// </summary>
    public static IReadOnlyList<LayoutResult> Explore(Func<IPatcher> create, IFetchModel model, ExhaustiveScenario basis, IReadOnlyList<ExhaustiveLayout> layouts,
        ExhaustiveBound bound, out ExhaustiveResult combined)
    {
        var results = new List<LayoutResult>();
        foreach (var layout in layouts)
        {
            var scenario = (basis.Moved(create(), layout.Offsets, out string? declined)
                ?? throw new InvalidOperationException($"layout {layout}: {declined}")) with { Layout = layout.Name };
            var result = scenario.Explore(create, model, bound);
            results.Add(new LayoutResult(layout, scenario, result));
            if (result.Outcome == ExhaustiveOutcome.Counterexample) break;
        }
        combined = Combine(bound, results.Select(r => r.Result).ToArray());
        return results;
    }

    /// <summary>The counts added up; the outcome is the first counterexample's, else incomplete if any was, else verified.</summary>
    public static ExhaustiveResult Combine(ExhaustiveBound bound, IReadOnlyList<ExhaustiveResult> results)
    {
        var byPreemptions = new long[results.Select(r => r.ByPreemptions.Count).DefaultIfEmpty(0).Max()];
        foreach (var r in results)
            for (int i = 0; i < r.ByPreemptions.Count; i++) byPreemptions[i] += r.ByPreemptions[i];
        var cx = results.FirstOrDefault(r => r.Counterexample is not null)?.Counterexample;
        var outcome = cx is not null ? ExhaustiveOutcome.Counterexample
            : results.Any(r => r.Outcome == ExhaustiveOutcome.Incomplete) ? ExhaustiveOutcome.Incomplete
            : ExhaustiveOutcome.Verified;
        return new ExhaustiveResult(outcome, bound, results.Sum(r => r.Executions), byPreemptions, results.Sum(r => r.BudgetHits),
            results.Sum(r => r.Failing), results.Sum(r => r.Runs), cx)
        {
            Pruned = results.Sum(r => r.Pruned), Cycles = results.Sum(r => r.Cycles), States = results.Sum(r => r.States),
            Hashed = results.Count > 0 && results.All(r => r.Hashed),
        };
    }
}
