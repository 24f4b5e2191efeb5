using System.Globalization;
using System.Xml.Linq;

namespace Conformance.Reporting;

/// <summary>
/// A timeline as one self-contained HTML page: the header, the instructions the site may hold side
/// by side, an inline SVG with one lane per CPU and one per patcher (rows are steps, each event a
/// box, the offending one red and outlined, <c>id="offending"</c>), and the explanation. Inline CSS
/// only: no scripts, no fonts or images to fetch, no network. Written as well-formed XML so a test
/// can check its structure without a browser.
/// </summary>
public static class TimelineHtml
{
    private const int GutterWidth = 124, LaneWidth = 360, LaneChars = 46, LineHeight = 15, HeaderHeight = 34, CutHeight = 24, Pad = 5;

    public static string Render(Timeline t)
    {
        var c = t.Source;
        var v = c.Violation;
        string title = $"{c.Patcher} under {c.Model}: {v.Property} violated";
        var body = new XElement("body",
            new XElement("h1", title),
            new XElement("table", new XAttribute("class", "header"),
                t.Header.Select(h => new XElement("tr", new XElement("th", h.Label), new XElement("td", h.Value)))),
            Versions(t),
            new XElement("h2", "Timeline"),
            new XElement("p", new XAttribute("class", "legend"),
                "One lane per CPU and one for the patcher; one row per machine step, steps going down. The offending event is red; " +
                (t.Stretch is { } st ? $"rows shaded yellow are {st.What}; " : "") +
                "step N is the machine step; t=N (everywhere) is the memory clock after the step (fetch units say when they were read, stores when they landed). Hover a box for its full text."),
            Svg(t),
            new XElement("h2", $"Why this violates {v.Property}"),
            new XElement("div", new XAttribute("class", "explanation"), t.Explanation.Lines.Select(l => new XElement("p", l))));
        var html = new XElement("html", new XAttribute("lang", "en"),
            new XElement("head",
                new XElement("meta", new XAttribute("charset", "utf-8")),
                new XElement("title", title),
                new XElement("style", Css)),
            body);
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

    private static XElement Svg(Timeline t)
    {
        int lanes = t.Lanes.Count;
        int width = GutterWidth + lanes * LaneWidth + Pad;
        var content = new List<XElement>();
        int y = HeaderHeight;
        foreach (var item in t.Items)
        {
            if (item is TimelineCut cut)
            {
                content.Add(new XElement("g", new XAttribute("class", "cut"),
                    new XElement("line", A("x1", 4), A("x2", width - 4), A("y1", y + CutHeight / 2), A("y2", y + CutHeight / 2)),
                    new XElement("text", A("x", width / 2), A("y", y + CutHeight / 2 + 4), new XAttribute("text-anchor", "middle"), cut.ToString())));
                y += CutHeight;
                continue;
            }
            var row = (TimelineRow)item;
            var boxes = row.Cells.Select(cell => cell.Select(e => (Entry: e, Lines: TextWrap.Wrap(e.Text, LaneChars))).ToArray()).ToArray();
            int height = Math.Max(LineHeight + 2 * Pad, boxes.Max(b => b.Sum(e => e.Lines.Count * LineHeight + Pad) + Pad));
            string rowClass = "row" + (row.Offending ? " offending-row" : t.InStretch(row) ? " stretch" : "");
            var g = new XElement("g", new XAttribute("class", rowClass), new XAttribute("data-step", row.Step),
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
                    var box = new XElement("g", new XAttribute("class", $"event {kind}{(entry.Offending ? " offending" : "")}"),
                        new XElement("title", $"step {row.Step}, {t.Lanes[lane].Title}: {entry.Event.Line ?? entry.Text}"),
                        new XElement("rect", A("x", x), A("y", by), A("width", LaneWidth - 12), A("height", h), A("rx", 3)),
                        new XElement("text", A("x", x + 4), A("y", by + LineHeight - 3),
                            lines.Select((l, i) => new XElement("tspan", A("x", x + 4), A("dy", i == 0 ? 0 : LineHeight), l))));
                    if (entry.Offending) box.Add(new XAttribute("id", "offending"));
                    g.Add(box);
                    by += h + Pad - 2;
                }
            }
            content.Add(g);
            y += height;
        }
        int total = y + Pad;

        var lanesGroup = new XElement("g", new XAttribute("class", "lanes"),
            t.Lanes.Select((l, i) => new XElement("g", new XAttribute("class", l.IsPatcher ? "lane patcher" : "lane cpu"), new XAttribute("data-cpu", l.Cpu),
                new XElement("rect", new XAttribute("class", "lane-bg"), A("x", GutterWidth + i * LaneWidth + 2), A("y", 0), A("width", LaneWidth - 4), A("height", total)),
                new XElement("text", new XAttribute("class", "lane-title"), A("x", GutterWidth + i * LaneWidth + LaneWidth / 2), A("y", 22),
                    new XAttribute("text-anchor", "middle"), l.Title))));
        return new XElement("svg", new XAttribute("class", "timeline"), A("width", width), A("height", total),
            new XAttribute("viewBox", $"0 0 {width} {total}"), new XAttribute("role", "img"),
            new XAttribute("aria-label", $"timeline of {t.Source.Patcher} under {t.Source.Model}"),
            lanesGroup, content);
    }

    private static XAttribute A(string name, int value) => new(name, value.ToString(CultureInfo.InvariantCulture));

    private const string Css = """
        body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1a1a1a; }
        h1 { font-size: 1.3em; margin-bottom: 0.4em; }
        h2 { font-size: 1.1em; margin-top: 1.2em; }
        table.header th { text-align: left; padding-right: 1em; vertical-align: top; color: #555; font-weight: 600; }
        table.header td { font-family: ui-monospace, monospace; font-size: 12px; }
        .versions { display: flex; gap: 12px; margin-top: 1em; }
        .version { border: 1px solid #bbb; border-radius: 4px; padding: 6px 10px; min-width: 14em; }
        .version .role { font-weight: 600; }
        .version code, .version .asm { font-family: ui-monospace, monospace; font-size: 12px; }
        .version .effect { color: #555; font-size: 12px; }
        .version.old { background: #f3f3f3; } .version.new { background: #e6f4e6; } .version.trap { background: #f6e6f6; }
        .legend { color: #555; font-size: 13px; }
        .explanation p { font-family: ui-monospace, monospace; font-size: 12px; margin: 0.2em 0; white-space: pre-wrap; }
        svg.timeline { font-family: ui-monospace, monospace; font-size: 12px; border: 1px solid #ccc; background: #fff; }
        .lane-bg { fill: #fafafa; stroke: #ddd; }
        .lane.patcher .lane-bg { fill: #fff7ee; }
        .lane-title { font-weight: 700; font-size: 13px; }
        .band { fill: transparent; stroke: #eee; }
        .stretch .band { fill: #fff8d6; }
        .offending-row .band { fill: #ffe3e3; }
        .gutter { fill: #555; } .gutter .step { font-weight: 600; } .gutter .time { fill: #999; }
        .event rect { fill: #eeeeee; stroke: #bbb; }
        .event.fetch rect { fill: #dcebff; stroke: #7aa7e0; }
        .event.store rect, .event.handler-store rect { fill: #ffd9a8; stroke: #d9914a; }
        .event.sync-sent rect, .event.sync-ack rect, .event.sync-complete rect { fill: #d8f2d0; stroke: #7cbf6b; }
        .event.delivered rect, .event.interrupt-raised rect, .event.task-switch rect, .event.thread-switch rect { fill: #e7dcff; stroke: #9b83d9; }
        .event.handler-action rect, .event.handler-return rect, .event.breakpoint-trap rect { fill: #f8d5ec; stroke: #c97cae; }
        .event.fault rect, .event.writer-failed rect { fill: #ffc4c4; stroke: #d66; }
        .event.wait rect { fill: #f7f7f7; stroke: #ccc; stroke-dasharray: 3 2; }
        .event.offending rect { fill: #e53935; stroke: #7f0000; stroke-width: 3; }
        .event.offending text { fill: #fff; font-weight: 700; }
        .cut line { stroke: #999; stroke-dasharray: 6 4; }
        .cut text { fill: #666; font-style: italic; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
        """;
}
