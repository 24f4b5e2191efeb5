using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Conformance.Generators.Campaigns;
using Conformance.Patching;
using Conformance.Reporting;
using Conformance.Tests.Support;
using TimelineModel = Conformance.Reporting.Timeline;

namespace Conformance.Tests.Reporting;

/// <summary>
/// The HTML page and the JSON trace of the naive patcher's counterexample, checked for structure
/// without a browser: one SVG with a lane per CPU that runs code and one for the patcher, the
/// offending fetch marked, nothing fetched from anywhere; every event in the JSON, typed.
/// </summary>
public class TimelinePageTests
{
    private static TimelineModel Naive()
    {
        var cell = MatrixCells.Get("naive-text-poke", "atomic", false);
        return TimelineModel.Build(MatrixCounterexample.Of(cell, PatcherRegistry.Get("naive-text-poke"))!);
    }

    private static XDocument Parse(string html)
    {
        // The page is written as well-formed XML; the HTML5 doctype is the only thing to skip.
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static IEnumerable<XElement> WithClass(XContainer root, string name, string cls) =>
        root.Descendants(name).Where(e => ((string?)e.Attribute("class") ?? "").Split(' ').Contains(cls));

    [Fact]
    public void The_page_draws_one_lane_per_cpu_and_one_for_the_patcher()
    {
        var t = Naive();
        var page = Parse(TimelineHtml.Render(t));
        var svg = Assert.Single(page.Descendants("svg"));
        var lanes = WithClass(svg, "g", "lane").ToArray();
        int readers = t.Source.Case.Cpus - 1;   // the rig's last CPU patches
        Assert.Equal(readers, lanes.Count(l => ((string)l.Attribute("class")!).Contains("cpu")));
        var patcher = Assert.Single(lanes, l => ((string)l.Attribute("class")!).Contains("patcher"));
        Assert.Equal(t.Source.Result.WriterCpu.ToString(), (string?)patcher.Attribute("data-cpu"));
        Assert.Equal(t.Lanes.Select(l => l.Title), lanes.Select(l => l.Element("text")!.Value));
    }

    [Fact]
    public void The_offending_fetch_is_highlighted_in_its_step()
    {
        var t = Naive();
        var page = Parse(TimelineHtml.Render(t));
        var offending = Assert.Single(page.Descendants(), e => (string?)e.Attribute("id") == "offending");
        Assert.Equal(["event", "fetch", "offending"], ((string)offending.Attribute("class")!).Split(' '));
        var row = offending.Parent!;
        Assert.Contains("offending-row", (string)row.Attribute("class")!);
        Assert.Equal(t.Source.Violation.Step.ToString(), (string?)row.Attribute("data-step"));
        Assert.Contains(Disassembly.Hex(t.Source.Violation.Fetch!.Bytes), offending.Element("title")!.Value);
        // The old, new and trap encodings are shown side by side.
        Assert.Equal(["Old", "New", "Trap"], WithClass(page, "div", "version").Select(v => v.Element("div")!.Value));
    }

    [Fact]
    public void The_page_is_self_contained()
    {
        string html = TimelineHtml.Render(Naive());
        var page = Parse(html);
        Assert.Empty(page.Descendants("script"));
        Assert.DoesNotContain(page.Descendants(), e => e.Name.LocalName is "link" or "img" or "iframe" or "object" or "embed");
        Assert.DoesNotContain(page.Descendants().Attributes(), a => a.Name.LocalName is "src" or "href" || a.Name.LocalName.StartsWith("on", StringComparison.Ordinal));
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("@import", html);
    }

    [Fact]
    public void The_rows_are_steps_in_order_with_cuts_between()
    {
        var t = Naive();
        var svg = Parse(TimelineHtml.Render(t)).Descendants("svg").Single();
        var steps = WithClass(svg, "g", "row").Select(r => long.Parse((string)r.Attribute("data-step")!)).ToArray();
        Assert.Equal(t.Rows.Select(r => r.Step), steps);
        Assert.Equal(steps.Order(), steps);
        Assert.Equal(t.Items.OfType<TimelineCut>().Count(), WithClass(svg, "g", "cut").Count());
    }

    [Fact]
    public void The_json_trace_has_every_event_typed_with_the_offending_fetch_marked()
    {
        var t = Naive();
        using var json = JsonDocument.Parse(TraceJson.Render(t));
        var root = json.RootElement;
        Assert.Equal("naive-text-poke", root.GetProperty("patcher").GetString());
        Assert.StartsWith("cf2:naive-text-poke:atomic:", root.GetProperty("token").GetString());
        var events = root.GetProperty("events").EnumerateArray().ToArray();
        Assert.Equal(t.Source.Result.Events.Count, events.Length);
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("type").GetString())));
        var offending = Assert.Single(events, e => e.TryGetProperty("offending", out var o) && o.GetBoolean());
        Assert.Equal("fetch", offending.GetProperty("type").GetString());
        Assert.Equal(t.Source.Violation.Step, offending.GetProperty("step").GetInt64());
        Assert.Equal(Disassembly.Hex(t.Source.Violation.Fetch!.Bytes), offending.GetProperty("bytes").GetString());
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "store" && e.GetProperty("width").GetInt32() == 8);
        Assert.Equal("P1-old-new-or-trap", root.GetProperty("violations")[0].GetProperty("property").GetString());
    }
}
