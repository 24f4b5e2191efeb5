using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// <c>check</c>'s table of verdicts: a row per patcher (and NMI switch), a column per fetch model.
/// What a cell says is in its text, not only its colour: <see cref="Mark"/> after a cell that
/// disagrees with history, <see cref="UndecidedMark"/> after one history leaves undecided. Names are
/// never broken across lines: when the boxed table is wider than the console, it is drawn without
/// borders (which fits 80 columns); without a terminal the console is wide (<see cref="Terminal.PlainWidth"/>).
/// </summary>
public static class VerdictTable
{
    /// <summary>After a cell whose verdict is not what history expects (or that has none: an error).</summary>
    public const string Mark = "!";

    /// <summary>After a cell history expects nothing of (the suite decides).</summary>
    public const string UndecidedMark = "?";

    /// <summary>The last column: the weakest fetch model the row passes under, with every stronger one (<see cref="AssumptionReport"/>).</summary>
    public const string NeedsHeader = "needs";

    /// <summary>What a row adds to the patcher's name when an NMI may end the STI shadow.</summary>
    public const string NmiSuffix = " +NMI";

    public static readonly string Legend =
        $"verified: the cell's bounded proof explored every execution of its scenario and neither it nor the random cases found a counterexample; pass: no counterexample found, not verified; fail: the verdict; P1-P5: the property its counterexample violates (patcher error: the patcher itself failed); {Mark}: disagrees with history (the run fails); " +
        $"{UndecidedMark}: history expects nothing (the suite decides); open: an open cell not found in this run (spec/verdicts.md); " +
        $"{NmiSuffix.Trim()}: an NMI may end the STI shadow; {NeedsHeader}: the weakest fetch model it passes under (with every stronger one; nothing: architectural, -: fails even under atomic). [green]green[/] agrees with history, [red]red[/] does not, [yellow]yellow[/]: undecided or open.";

    /// <summary>The table's rows (the name, then a cell per model and the needs), its headers and each column's widest text.</summary>
    private sealed record Layout(string[] Headers, (string Name, (string Text, string? Color)[] Cells)[] Rows, int[] Widths)
    {
        /// <summary>Whether it fits <paramref name="width"/> columns without borders (a space between columns).</summary>
        public bool Fits(int width) => Widths.Sum() + Widths.Length - 1 <= width;

        /// <summary>The same without its last column.</summary>
        public Layout WithoutLast() => new(Headers[..^1], Rows.Select(r => (r.Name, r.Cells[..^1])).ToArray(), Widths[..^1]);
    }

    private static Layout LayOut(CheckReport report, IReadOnlyList<string> models)
    {
        var needs = report.Assumptions.ToDictionary(a => (a.Patcher, a.NmiMayEndStiShadow), a => NeedsText(report, a));
        var rows = report.Matrix.GroupBy(r => (r.Patcher, r.NmiMayEndStiShadow))
            .Select(row => (Name: NameOf(row.Key.Patcher, row.Key.NmiMayEndStiShadow),
                Cells: models.Select(m => row.FirstOrDefault(r => r.Model == m) is { } c ? Cell(c) : (Text: "", Color: (string?)null))
                    .Append((Text: needs[row.Key], Color: null)).ToArray()))
            .ToArray();
        string[] headers = ["patcher", .. models, NeedsHeader];
        // The widest text of each column: the header or a cell.
        var widths = new[] { rows.Select(r => r.Name.Length).Append("patcher".Length).Max() }
            .Concat(headers.Skip(1).Select((h, i) => rows.Select(r => r.Cells[i].Text.Length).Append(h.Length).Max())).ToArray();
        return new Layout(headers, rows, widths);
    }

    private static string NameOf(string patcher, bool nmi) => patcher + (nmi ? NmiSuffix : "");

    /// <summary>The table for a console <paramref name="width"/> columns wide.</summary>
    public static Table Of(CheckReport report, IReadOnlyList<string> models, int width)
    {
        var layout = LayOut(report, models);
        if (!layout.Fits(width)) layout = layout.WithoutLast();   // too narrow even without borders: the needs go below the table (NeedsBelow)
        var (headers, rows, widths) = layout;
        bool boxed = BoxedWidth(widths) <= width;
        var table = new Table();
        if (!boxed) table.Border(TableBorder.None);
        foreach (var (header, i) in headers.Select((h, i) => (h, i)))
        {
            var column = new TableColumn(Markup.Escape(header)).NoWrap();
            if (!boxed) column.Padding(0, 0, i == headers.Length - 1 ? 0 : 1, 0);
            table.AddColumn(column);
        }
        foreach (var (name, cells) in rows)
            table.AddRow([Markup.Escape(name), .. cells.Select(c => c.Color is { } color ? $"[{color}]{Markup.Escape(c.Text)}[/]" : Markup.Escape(c.Text))]);
        return table;
    }

    /// <summary>A row's needs, with <see cref="UndecidedMark"/> when one of its cells is one history leaves undecided (the suite's answer, from this run's cases).</summary>
    private static string NeedsText(CheckReport report, AssumptionReport a) =>
        a.Needs + (report.Matrix.Any(c => c.Patcher == a.Patcher && c.NmiMayEndStiShadow == a.NmiMayEndStiShadow && c.Expected == "none") ? $" {UndecidedMark}" : "");

    /// <summary>
    /// The needs column as lines, when the console is too narrow for it in the table (else none): one
    /// row a line, so that no name is broken.
    /// </summary>
    public static IReadOnlyList<string> NeedsBelow(CheckReport report, IReadOnlyList<string> models, int width)
    {
        var layout = LayOut(report, models);
        if (layout.Rows.Length == 0 || layout.Fits(width)) return [];
        return [$"{NeedsHeader} (the weakest fetch model each row passes under):", .. layout.Rows.Select(r => $"  {r.Name}: {r.Cells[^1].Text}")];
    }

    /// <summary>The width of the boxed table: each column's text, a space either side and a bar, and the bar on the left.</summary>
    public static int BoxedWidth(IReadOnlyList<int> widths) => 1 + widths.Sum(w => w + 3);

    /// <summary>A cell's text and colour: the verdict, the property by number (or a patcher's own error by its name), and its mark.</summary>
    public static (string Text, string? Color) Cell(CellReport c)
    {
        if (c.Open) return ("open", "yellow");
        if (c.Verdict == CellOutcome.Error) return ($"error {Mark}", "red");
        string property = c.Property is { } p ? " " + Conformance.Reporting.PropertyLabel.Short(p) : "";   // "fail P1", "fail patcher error"
        string text = (c.Verified ? "verified" : c.Verdict) + property;
        if (c.Expected == "none") return ($"{text} {UndecidedMark}", "yellow");
        return c.Agrees ? (text, "green") : ($"{text} {Mark}", "red");
    }
}
