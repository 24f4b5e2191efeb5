using System.Text;
using Conformance.Machine;
using Conformance.Probe.Layout;
using Conformance.Probe.Rows;

namespace Conformance.Probe.Prediction;

/// <summary>
/// The prediction table of spec/probe.md: for every row and placement, which fetch models allow a
/// torn call, computed by <see cref="Predictor"/> (never typed in: spec/probe.md holds a copy that
/// a test compares with this, and <c>probe --predictions</c> prints).
/// </summary>
public static class PredictionTable
{
    public const string Begin = "<!-- prediction table: printed by `probe --predictions`; a test compares it with the emulator -->";
    public const string End = "<!-- end of the prediction table -->";

    /// <summary>Short names of the built-in models for the table, strongest first.</summary>
    public static readonly IReadOnlyDictionary<string, string> Short = new Dictionary<string, string>
    {
        ["atomic"] = "atomic", ["block64"] = "b64", ["block32"] = "b32", ["block16"] = "b16", ["architectural"] = "arch",
    };

    public static IReadOnlyList<CellPrediction> Compute(IReadOnlyList<ProbeRow>? rows = null, IReadOnlyList<Placement>? placements = null) =>
        (from r in rows ?? ProbeRows.All from p in placements ?? Placement.All select Predictor.Predict(r, p)).ToArray();

    /// <summary>
    /// One cell as the table writes it: <c>-</c> no model allows a tear, <c>all</c> every model does,
    /// <c>b16+</c> block16 and every weaker model (the models are nested, so this is exact), <c>n/a</c>
    /// the row does not apply at the placement.
    /// </summary>
    public static string CellText(CellPrediction cell)
    {
        if (!cell.Applies) return "n/a";
        var order = FetchModelRegistry.BuiltIn.Select(m => m.Name).ToArray();
        var tearing = cell.Models.Where(m => m.TearPossible).Select(m => m.Model).ToArray();
        if (tearing.Length == 0) return "-";
        int first = Array.IndexOf(order, tearing[0]);
        bool suffix = first >= 0 && tearing.SequenceEqual(order[first..]);
        if (!suffix) return string.Join(",", tearing.Select(Name));
        return first == 0 ? "all" : first == order.Length - 1 ? Name(order[first]) : Name(order[first]) + "+";
    }

    private static string Name(string model) => Short.TryGetValue(model, out var s) ? s : model;

    /// <summary>The markdown table, placements down, rows across, between the markers spec/probe.md uses.</summary>
    public static string Render(IReadOnlyList<CellPrediction> cells)
    {
        var rows = cells.Select(c => c.Row.Name).Distinct().ToArray();
        var placements = cells.Select(c => c.Placement).DistinctBy(p => p.Name).ToArray();
        var text = new StringBuilder();
        text.AppendLine(Begin);
        text.AppendLine($"| placement (line offset) | {string.Join(" | ", rows.Select(r => $"`{r}`"))} |");
        text.AppendLine($"|---|{string.Concat(rows.Select(_ => "---|"))}");
        foreach (var p in placements)
        {
            var line = rows.Select(r => CellText(cells.First(c => c.Row.Name == r && c.Placement.Name == p.Name)));
            text.AppendLine($"| {p.Name} ({p.LineOffset}) | {string.Join(" | ", line)} |");
        }
        text.AppendLine(End);
        return text.ToString();
    }
}
