using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Conformance.Reporting;

/// <summary>
/// A timeline as one self-contained HTML page: the header, the instructions the site may hold side
/// by side, the timeline in a box that scrolls sideways when the machine is wider than the window
/// (an SVG of lane titles, one lane per CPU and one per patcher, then an SVG per stretch of shown
/// rows; rows are steps, each event a box, the offending one red and outlined, <c>id="offending"</c>),
/// each cut a <c>details</c> element holding the rows it leaves out (opened in place by a click),
/// and the explanation, whose step numbers link to their rows. Inline CSS and one inline script
/// (<see cref="TimelineHtmlAssets"/>); nothing to fetch, no network. Written as well-formed XML so a
/// test can check its structure without a browser.
/// </summary>
public static class TimelineHtml
{
    private const int GutterWidth = 124, LaneWidth = 360, LaneChars = 46, LineHeight = 15, HeaderHeight = 34, Pad = 5;

    /// <summary>The most rows a cut carries into the page (the nearest ones to the window); the JSON trace has every event.</summary>
    public const int MaxCutRows = 400;

    public static string Render(Timeline t)
    {
        var c = t.Source;
        var v = c.Violation;
        string title = $"{c.Patcher} under {c.Model}: {v.Property} violated";
        var steps = t.AllRows.Select(r => r.Step).ToHashSet();
        bool cuts = t.Items.OfType<TimelineCut>().Any(x => t.RowsIn(x).Any());
        var body = new XElement("body",
            new XElement("h1", title),
            new XElement("table", new XAttribute("class", "header"),
                t.Header.Select(h => new XElement("tr", new XElement("th", h.Label),
                    new XElement("td", Linked(h.Value, h.Label == "property" ? steps : NoSteps))))),
            Versions(t),
            new XElement("h2", "Timeline"),
            new XElement("p", new XAttribute("class", "legend"),
                "One lane per CPU and one per patcher (named by the CPU it runs on); one row per machine step, steps going down. The offending event is red; " +
                (t.Stretch is { } st ? $"rows shaded yellow are {st.What}; " : "") +
                "step N is the machine step; t=N (everywhere) is the memory clock after the step (fetch units say when they were read, stores when they landed). Hover a box for its full text" +
                (cuts ? "; click a cut line to open the steps it leaves out." : ".")),
            cuts ? new XElement("p", new XAttribute("class", "toolbar"),
                new XElement("button", new XAttribute("type", "button"), new XAttribute("id", "open-cuts"), "Open every cut"),
                new XElement("button", new XAttribute("type", "button"), new XAttribute("id", "close-cuts"), "Close every cut")) : null,
            TimelineBox(t),
            new XElement("h2", $"Why this violates {v.Property}"),
            new XElement("div", new XAttribute("class", "explanation"), t.Explanation.Lines.Select(l => new XElement("p", Linked(l, steps)))),
            TimelineHtmlAssets.Script());
        var html = new XElement("html", new XAttribute("lang", "en"),
            new XElement("head",
                new XElement("meta", new XAttribute("charset", "utf-8")),
                new XElement("meta", new XAttribute("name", "viewport"), new XAttribute("content", "width=device-width, initial-scale=1")),
                new XElement("title", title),
                new XElement("style", TimelineHtmlAssets.Css)),
            body);
        // HTML has no self-closing elements outside SVG: an empty one is written open and closed.
        foreach (var e in html.Descendants().Where(e => e.IsEmpty && !Void.Contains(e.Name.LocalName) && !e.AncestorsAndSelf("svg").Any()).ToList()) e.Add("");
        return "<!DOCTYPE html>\n" + html.ToString(SaveOptions.None).Replace("\r\n", "\n") + "\n";
    }

    /// <summary>The old, new and trap encodings of the violation's site, side by side.</summary>
    private static XElement? Versions(Timeline t)
    {
        if (t.Explanation.Versions.Count == 0) return null;
        return new XElement("div", new XAttribute("class", "versions"),
            t.Explanation.Versions.Select(x => new XElement("div", new XAttribute("class", $"version {x.Role.Split(' ')[0].ToLowerInvariant()}"),
                new XElement("div", new XAttribute("class", "role"), x.Role),
                new XElement("code", Disassembly.Hex(x.Bytes)),
                new XElement("div", new XAttribute("class", "asm"), x.Text),
                new XElement("div", new XAttribute("class", "effect"), x.Effect))));
    }

    private static readonly HashSet<long> NoSteps = [];
    private static readonly HashSet<string> Void = ["meta", "br", "hr", "img", "input", "link", "wbr"];
    private static readonly Regex StepMention = new(@"\bstep (\d+)\b", RegexOptions.CultureInvariant);

    /// <summary>A sentence with each "step N" that has a row made a link to it (the script opens the cut that holds it).</summary>
    private static IEnumerable<XNode> Linked(string text, IReadOnlySet<long> steps)
    {
        int at = 0;
        foreach (Match m in StepMention.Matches(text))
        {
            if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long step) || !steps.Contains(step)) continue;
            if (m.Index > at) yield return new XText(text[at..m.Index]);
            yield return new XElement("a", new XAttribute("class", "step-link"), new XAttribute("href", $"#step-{step}"), m.Value);
            at = m.Index + m.Length;
        }
        if (at < text.Length) yield return new XText(text[at..]);
    }

    private static int Width(Timeline t) => GutterWidth + t.Lanes.Count * LaneWidth + Pad;

    /// <summary>The timeline in its own box: the lane titles, then the shown rows, stretch by stretch, with the cuts between.</summary>
    private static XElement TimelineBox(Timeline t)
    {
        int width = Width(t);
        var inner = new XElement("div", new XAttribute("class", "timeline"), new XAttribute("style", $"width: {width}px"), LaneTitles(t));
        var stretch = new List<TimelineRow>();
        void Flush(bool last)
        {
            if (stretch.Count > 0 || last) inner.Add(Rows(t, stretch, "rows", last));
            stretch.Clear();
        }
        foreach (var item in t.Items)
        {
            if (item is TimelineRow row) { stretch.Add(row); continue; }
            Flush(false);
            inner.Add(Cut(t, (TimelineCut)item));
        }
        Flush(true);
        return new XElement("div", new XAttribute("class", "timeline-box"), new XAttribute("role", "region"),
            new XAttribute("aria-label", $"timeline of {t.Source.Patcher} under {t.Source.Model}"), new XAttribute("tabindex", "0"), inner);
    }

    private static XElement LaneTitles(Timeline t)
    {
        int width = Width(t);
        return new XElement("svg", new XAttribute("class", "lanes"), A("width", width), A("height", HeaderHeight),
            new XAttribute("viewBox", $"0 0 {width} {HeaderHeight}"), new XAttribute("role", "img"),
            new XAttribute("aria-label", "lanes: " + string.Join(", ", t.Lanes.Select(l => l.Title))),
            t.Lanes.Select((l, i) => new XElement("g", new XAttribute("class", l.IsPatcher ? "lane patcher" : "lane cpu"),
                new XAttribute("data-cpu", l.Cpu), A("data-lane", i),
                new XElement("rect", new XAttribute("class", "lane-bg"), A("x", GutterWidth + i * LaneWidth + 2), A("y", 0), A("width", LaneWidth - 4), A("height", HeaderHeight)),
                new XElement("text", new XAttribute("class", "lane-title"), A("x", GutterWidth + i * LaneWidth + LaneWidth / 2), A("y", 22),
                    new XAttribute("text-anchor", "middle"), l.Title))));
    }

    /// <summary>A cut: the steps it leaves out, opened in place (a cut of steps without events is only its line).</summary>
    private static XElement Cut(Timeline t, TimelineCut cut)
    {
        // The dashed line is two spans beside the label, never drawn through it.
        var label = new XElement("span", new XAttribute("class", "cut-label"), cut.ToString().Trim('.', ' '));
        XElement[] Line() => [new XElement("span", new XAttribute("class", "cut-line lead"), ""), label, new XElement("span", new XAttribute("class", "cut-line rest"), "")];
        var rows = t.RowsIn(cut).ToList();
        if (rows.Count == 0)
        {
            label.Add(" (no events)");
            return new XElement("div", new XAttribute("class", "cut empty"), A("data-from", cut.From), A("data-to", cut.To), Line());
        }
        label.Add(" ", new XElement("span", new XAttribute("class", "cut-hint"), ""));
        int left = rows.Count - MaxCutRows;
        if (left > 0) rows = cut.Earlier ? rows[^MaxCutRows..] : rows[..MaxCutRows];
        return new XElement("details", new XAttribute("class", "cut"), new XAttribute("id", $"cut-{cut.From}-{cut.To}"),
            A("data-from", cut.From), A("data-to", cut.To),
            new XElement("summary", new XAttribute("title", "click to show or hide these steps"), Line()),
            left > 0 ? new XElement("p", new XAttribute("class", "cut-note"),
                $"{left} more steps with events, {(cut.Earlier ? "earlier" : "later")} than these, are left out of the page; the JSON trace (explain --json) has every event.") : null,
            Rows(t, rows, "rows cut-rows", last: false));
    }

    /// <summary>An SVG of consecutive rows with the lanes behind them.</summary>
    private static XElement Rows(Timeline t, IReadOnlyList<TimelineRow> rows, string cls, bool last)
    {
        int width = Width(t);
        var content = new List<XElement>();
        var first = t.Rows.SelectMany(r => r.Cells.SelectMany(cell => cell)).FirstOrDefault(e => e.Offending);   // the one with id="offending"
        int y = 0;
        foreach (var row in rows)
        {
            var (g, height) = Row(t, row, y, width, first);
            content.Add(g);
            y += height;
        }
        int total = y + (last ? Pad : 0);
        var lanes = t.Lanes.Select((l, i) => new XElement("rect", new XAttribute("class", l.IsPatcher ? "lane-bg patcher" : "lane-bg cpu"), A("data-lane", i),
            A("x", GutterWidth + i * LaneWidth + 2), A("y", 0), A("width", LaneWidth - 4), A("height", total)));
        return new XElement("svg", new XAttribute("class", cls), A("width", width), A("height", total), new XAttribute("viewBox", $"0 0 {width} {total}"),
            new XElement("g", new XAttribute("class", "lane-bgs"), lanes), content);
    }

    private static (XElement Row, int Height) Row(Timeline t, TimelineRow row, int y, int width, TimelineEntry? first)
    {
        int lanes = t.Lanes.Count;
        var boxes = row.Cells.Select(cell => cell.Select(e => (Entry: e, Lines: TextWrap.Wrap(e.Text, LaneChars))).ToArray()).ToArray();
        int height = Math.Max(LineHeight + 2 * Pad, boxes.Max(b => b.Sum(e => e.Lines.Count * LineHeight + Pad) + Pad));
        string rowClass = "row" + (row.Offending ? " offending-row" : t.InStretch(row) ? " stretch" : "");
        var g = new XElement("g", new XAttribute("class", rowClass), new XAttribute("id", $"step-{row.Step}"), new XAttribute("data-step", row.Step),
            new XElement("rect", new XAttribute("class", "band"), A("x", 0), A("y", y), A("width", width), A("height", height)),
            new XElement("text", new XAttribute("class", "gutter"), A("x", 6), A("y", y + Pad + LineHeight - 3),
                new XElement("tspan", new XAttribute("class", "step"), $"step {row.Step}"),
                new XElement("tspan", new XAttribute("class", "time"), $" t={row.Clock}")));
        for (int lane = 0; lane < lanes; lane++)
        {
            int by = y + Pad;
            foreach (var (entry, lines) in boxes[lane])
            {
                int h = lines.Count * LineHeight + 2;
                int x = GutterWidth + lane * LaneWidth + 6;
                string kind = EventKinds.Of(entry.Event);
                var box = new XElement("g", new XAttribute("class", $"event {kind}{(entry.Offending ? " offending" : "")}"), A("data-lane", lane),
                    new XElement("title", $"step {row.Step}, {t.Lanes[lane].Title}: {entry.Event.Line ?? entry.Text}"),
                    new XElement("rect", A("x", x), A("y", by), A("width", LaneWidth - 12), A("height", h), A("rx", 3)),
                    new XElement("text", A("x", x + 4), A("y", by + LineHeight - 3),
                        lines.Select((l, i) => new XElement("tspan", A("x", x + 4), A("dy", i == 0 ? 0 : LineHeight), l))));
                if (ReferenceEquals(entry, first)) box.Add(new XAttribute("id", "offending"));
                g.Add(box);
                by += h + Pad - 2;
            }
        }
        return (g, height);
    }

    private static XAttribute A(string name, long value) => new(name, value.ToString(CultureInfo.InvariantCulture));
}
