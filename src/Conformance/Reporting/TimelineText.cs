using System.Text;

namespace Conformance.Reporting;

/// <summary>
/// A timeline as plain text for a terminal: the header, then a table with one row per step and one
/// column per lane (cells wrap rather than cut), the offending row marked <c>&gt;&gt;</c> and its
/// event <c>!!</c>, cuts said, and the explanation. At most <see cref="MaxWidth"/> columns (but for the replay command, which is
/// never broken: a plug-in's path can make it longer); LF line ends.
/// </summary>
public static class TimelineText
{
    public const int MaxWidth = 160;
    private const int MaxLaneWidth = 48, Gutter = 17;   // ">> " + step + " " + clock + " | "

    public static string Render(Timeline t)
    {
        var s = new StringBuilder();
        var v = t.Source.Violation;
        s.Append($"{t.Source.Patcher} under {t.Source.Model}: {v.Property} violated\n");
        foreach (var (label, value) in t.Header)
            if (label == "replay") s.Append($"  {label,-9} {value}\n");   // a command stays one line, however long, so that it pastes
            else AppendWrapped(s, $"  {label,-9} ", value, MaxWidth);
        s.Append('\n');

        int lane = Math.Min(MaxLaneWidth, (MaxWidth - Gutter) / Math.Max(1, t.Lanes.Count) - 3);
        s.Append(Line(" step", " clock", t.Lanes.Select(l => l.Title), lane));
        s.Append(new string('-', Gutter - 1)).Append('+').Append(string.Join("+", t.Lanes.Select(_ => new string('-', lane + 2)))).Append('\n');
        foreach (var item in t.Items)
        {
            if (item is TimelineCut cut) { s.Append($"  {cut}\n"); continue; }
            var row = (TimelineRow)item;
            var cells = row.Cells.Select(c => c.SelectMany(e => TextWrap.Wrap((e.Offending ? "!! " : "") + e.Text, lane)).ToArray()).ToArray();
            int height = Math.Max(1, cells.Max(c => c.Length));
            for (int k = 0; k < height; k++)
            {
                string mark = k > 0 ? "  " : row.Offending ? ">>" : t.InStretch(row) ? " *" : "  ";
                string step = k == 0 ? $"{mark} {row.Step,5}" : "        ";
                string time = k == 0 ? $"{row.Clock,6}" : "      ";
                s.Append(Line(step, time, cells.Select(c => k < c.Length ? c[k] : ""), lane));
            }
        }
        AppendWrapped(s, "  ", ">> the offending step, !! the offending event" + (t.Stretch is { } st ? $", * {st.What}" : "") +
                               "; step: the machine step; clock (and every t=): the memory clock after the step (fetch units say when they were read, stores when they landed)", MaxWidth);
        s.Append('\n');

        s.Append($"Why this violates {v.Property}:\n");
        foreach (var line in t.Explanation.Lines)
        {
            int indent = line.Length - line.TrimStart().Length;
            AppendWrapped(s, new string(' ', 2 + indent), line.TrimStart(), MaxWidth);
        }
        return s.ToString();
    }

    private static string Line(string step, string time, IEnumerable<string> cells, int lane)
    {
        var b = new StringBuilder($"{step,-8} {time} |");
        foreach (var c in cells) b.Append(' ').Append(c.PadRight(lane)).Append(" |");
        return b.ToString().TrimEnd(' ', '|') + "\n";
    }

    /// <summary>Appends <paramref name="text"/> after <paramref name="prefix"/>, wrapped at <paramref name="width"/> with continuation lines indented under it.</summary>
    private static void AppendWrapped(StringBuilder s, string prefix, string text, int width)
    {
        var lines = TextWrap.Wrap(text, width - prefix.Length);
        for (int i = 0; i < lines.Count; i++)
            s.Append(i == 0 ? prefix : new string(' ', prefix.Length)).Append(lines[i]).Append('\n');
    }
}
