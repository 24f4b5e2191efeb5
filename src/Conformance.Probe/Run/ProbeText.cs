using System.Globalization;
using System.Text;
using Conformance.Probe.Layout;
using Conformance.Probe.Prediction;
using Conformance.Probe.Verdict;

namespace Conformance.Probe.Run;

/// <summary>A probe report as text: the header, one line per cell, the torn mixtures seen, the verdict on each model.</summary>
public static class ProbeText
{
    public static string Render(ProbeReport report)
    {
        var text = new StringBuilder();
        text.AppendLine($"CPU: {report.Cpu}");
        text.AppendLine($"reader on cpu{report.ReaderCore}, writer on cpu{report.WriterCore}; memory: {report.Memory}; " +
                        $"{report.PerCell.TotalSeconds:0.###} s per cell; load average {report.LoadBefore} before, {report.LoadAfter} after");
        text.AppendLine();
        text.Append(Table(report.Cells));
        // The torn calls some model forbids, one line each; the writer's own (every model allows them) summed.
        var forbidden = (from c in report.Cells
                         where c.Observation is not null
                         from m in c.Observation!.Counts
                         where m.Mixture.Kind == MixtureKind.Torn && m.Count > 0 && c.Prediction.Models.Any(p => !p.Allows(m.Mixture))
                         select (c, m)).ToArray();
        if (forbidden.Length > 0)
        {
            text.AppendLine();
            text.AppendLine("torn calls some model forbids (cell: mixture: calls; the models that allow it):");
            // The two most frequent of each cell (--json has them all).
            foreach (var cell in forbidden.GroupBy(f => f.c))
            {
                var top = cell.OrderByDescending(f => f.m.Count).ToArray();
                foreach (var (c, m) in top.Take(2))
                    text.AppendLine($"  {c.Prediction.Row.Name} at {c.Prediction.Placement}: {m.Mixture.Hex}: {m.Count:N0}; allowed by {Allowed(c.Prediction, m.Mixture)}");
                if (top.Length > 2) text.AppendLine($"    and {top.Length - 2} more mixture{(top.Length == 3 ? "" : "s")}: {top.Skip(2).Sum(f => f.m.Count):N0} calls");
            }
        }
        long writerTears = report.Cells.Where(c => c.Observation is not null).Sum(c => c.Observation!.Tears - c.Observation.Counts
            .Where(m => m.Mixture.Kind == MixtureKind.Torn && c.Prediction.Models.Any(p => !p.Allows(m.Mixture))).Sum(m => m.Count));
        if (writerTears > 0)
            text.AppendLine($"{Environment.NewLine}{writerTears:N0} torn calls every model allows (the writer's own half-written states, as in the bytes row)");
        foreach (var c in report.Cells.Where(c => c.Observation is { Unaccounted: not 0 }))
            text.AppendLine($"{Environment.NewLine}WARNING: {c.Prediction.Row.Name} at {c.Prediction.Placement}: {c.Observation!.Unaccounted:N0} iterations no counter accounts for (please report it)");
        text.AppendLine();
        text.Append(Verdict(report.Verdict));
        return text.ToString();
    }

    /// <summary>One line per cell: calls, torn calls, the rate or (none seen) its 95% upper bound, the tears atomic forbids, and the prediction.</summary>
    public static string Table(IReadOnlyList<ProbeCell> cells)
    {
        var text = new StringBuilder();
        text.AppendLine($"| {"row",-15} | {"placement",-13} | {"calls",13} | {"torn",11} | {"torn rate",10} | {"95% bound",10} | {"torn, atomic forbids",20} | {"a tear under",12} |");
        text.AppendLine($"|{new string('-', 17)}|{new string('-', 15)}|{new string('-', 14)}:|{new string('-', 12)}:|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 21)}:|{new string('-', 14)}|");
        foreach (var c in cells)
        {
            var o = c.Observation;
            string prediction = PredictionTable.CellText(c.Prediction);
            if (o is null)
            {
                text.AppendLine($"| {c.Prediction.Row.Name,-15} | {c.Prediction.Placement.Name,-13} | {"n/a",13} | {"",11} | {"",10} | {"",10} | {"",20} | {prediction,-12} |");
                continue;
            }
            long fetchTears = Classifier.TearsForbiddenBy(c.Prediction, o, "atomic");
            string rate = TearBound.Rate(o.Tears, o.Calls) is { } r ? Sci(r) : "-";
            string bound = o.Tears == 0 && TearBound.Upper95WhenNone(o.Calls) is { } b ? "< " + Sci(b) : "";
            text.AppendLine($"| {c.Prediction.Row.Name,-15} | {c.Prediction.Placement.Name,-13} | {o.Calls,13:N0} | {o.Tears,11:N0} | {rate,10} | {bound,10} | {fetchTears,20:N0} | {prediction,-12} |");
        }
        return text.ToString();
    }

    public static string Verdict(ProbeVerdict verdict)
    {
        var text = new StringBuilder();
        text.AppendLine("fetch models against this CPU:");
        foreach (var m in verdict.Models)
        {
            if (!m.Contradicted)
            {
                text.AppendLine($"  {m.Model}: consistent (no call it forbids was seen)");
                continue;
            }
            text.AppendLine($"  {m.Model}: CONTRADICTED by {m.Evidence.Count} torn mixture{(m.Evidence.Count == 1 ? "" : "s")}, e.g. {m.Evidence[0]}");
        }
        text.AppendLine(verdict.Tightest is { } t
            ? $"tightest model consistent with this CPU: {t}"
            : "every model is contradicted: the CPU did something no model allows (please report it)");
        return text.ToString();
    }

    private static string Allowed(CellPrediction prediction, Mixture mixture)
    {
        var models = prediction.Models.Where(m => m.Allows(mixture)).Select(m => m.Model).ToArray();
        return models.Length == 0 ? "no model" : string.Join(", ", models);
    }

    private static string Sci(double value) => value == 0 ? "0" : value.ToString("0.0e0", CultureInfo.InvariantCulture);
}
