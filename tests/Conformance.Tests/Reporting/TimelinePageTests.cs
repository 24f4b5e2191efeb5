using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Conformance.Checking;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching.Mutants;
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
        var box = Assert.Single(WithClass(page, "div", "timeline-box"));
        var svg = Assert.Single(WithClass(box, "svg", "lanes"));   // the lane titles; the rows follow, an SVG per stretch
        var lanes = WithClass(svg, "g", "lane").ToArray();
        int readers = t.Source.Case.Cpus - 1;   // the rig's last CPU patches
        Assert.Equal(readers, lanes.Count(l => ((string)l.Attribute("class")!).Contains("cpu")));
        var patcher = Assert.Single(lanes, l => ((string)l.Attribute("class")!).Contains("patcher"));
        Assert.Equal(t.Source.Result.WriterCpu.ToString(), (string?)patcher.Attribute("data-cpu"));
        Assert.Equal(t.Lanes.Select(l => l.Title), lanes.Select(l => l.Element("text")!.Value));
        // Every SVG of rows is as wide as the lanes, and the box around them scrolls (TimelineBrowserTests sees it do so).
        Assert.All(WithClass(box, "svg", "rows"), s => Assert.Equal((string?)svg.Attribute("width"), (string?)s.Attribute("width")));
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
        var script = Assert.Single(page.Descendants("script"));   // inline: opens the cuts, follows links to steps
        Assert.Empty(script.Attributes());
        Assert.DoesNotContain(page.Descendants(), e => e.Name.LocalName is "link" or "img" or "iframe" or "object" or "embed");
        Assert.DoesNotContain(page.Descendants().Attributes(), a => a.Name.LocalName is "src" || a.Name.LocalName.StartsWith("on", StringComparison.Ordinal));
        Assert.All(page.Descendants().Attributes("href"), a => Assert.StartsWith("#step-", a.Value));   // links within the page only
        // HTML reads no self-closing tag outside SVG: a "<span/>" would swallow what follows it.
        Assert.DoesNotContain(page.Descendants(), e => e.IsEmpty && e.Name.LocalName is not ("meta" or "br") && !e.AncestorsAndSelf("svg").Any());
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("@import", html);
    }

    [Fact]
    public void The_rows_are_steps_in_order_with_cuts_between()
    {
        var t = Naive();
        var box = WithClass(Parse(TimelineHtml.Render(t)), "div", "timeline-box").Single();
        var shown = box.Elements("div").Elements().Where(e => e.Name == "svg" && (string?)e.Attribute("class") == "rows");
        var steps = shown.SelectMany(s => WithClass(s, "g", "row")).Select(r => long.Parse((string)r.Attribute("data-step")!)).ToArray();
        Assert.Equal(t.Rows.Select(r => r.Step), steps);
        Assert.Equal(steps.Order(), steps);
        var cuts = box.Descendants().Where(e => ((string?)e.Attribute("class") ?? "").Split(' ').Contains("cut")).ToArray();
        Assert.Equal(t.Items.OfType<TimelineCut>().Select(c => (c.From, c.To)),
            cuts.Select(c => (long.Parse((string)c.Attribute("data-from")!), long.Parse((string)c.Attribute("data-to")!))));
        // Each cut carries the rows it leaves out, to be opened in place; the text of its line says which steps.
        foreach (var (cut, element) in t.Items.OfType<TimelineCut>().Zip(cuts))
        {
            var rows = t.RowsIn(cut).Select(r => r.Step).ToArray();
            Assert.Equal(rows.Length == 0 ? "div" : "details", element.Name.LocalName);
            Assert.Equal(rows, WithClass(element, "g", "row").Select(r => long.Parse((string)r.Attribute("data-step")!)));
            Assert.Contains(cut.ToString().Trim('.', ' '), element.Value);
        }
        Assert.Contains(cuts, c => c.Name == "details");   // the naive counterexample has earlier steps cut
        // Every step of the run with an event is in the page, shown or in a cut, once.
        var all = box.Descendants("g").Where(g => (string?)g.Attribute("data-step") is not null).Select(g => (string)g.Attribute("id")!).ToArray();
        Assert.Equal(t.AllRows.Select(r => $"step-{r.Step}"), all);
    }

    /// <summary>
    /// Two patches of one site at once (text_poke_bp without text_mutex; the generator at the tests'
    /// seed finds a torn fetch of their mix): each store the explanation names says which writer made
    /// it, as the two patcher lanes do.
    /// </summary>
    [Fact]
    public void With_two_writers_each_store_says_which_writer_made_it()
    {
        var probe = new TextPokeBpWithoutTextMutex();
        IReadOnlyList<string> TornMix(PatchCaseGenome g)
        {
            var k = PatchCaseRealizer.Realize(g, probe);
            if (k.Concurrent.Count == 0) return [];
            var first = PatchCheck.Run(() => new TextPokeBpWithoutTextMutex(), new AtomicFetch(), k).First;
            return first is { Property: OldNewOrTrap.Id, Fetch: not null } ? [first.ToString()] : [];
        }
        var outcome = PropertyRunner.Run("a torn fetch of two writers' mix", PatchCaseGen.Arbitrary(3), TornMix,
            new PropertySettings(3000, PropertySettings.DefaultSeed, PropertySettings.DefaultGamma, EndSize: 50));
        var shrunk = Assert.IsType<PatchCaseGenome>(outcome.Shrunk);
        var k = PatchCaseRealizer.Realize(shrunk, probe);
        var result = PatchCheck.Run(() => new TextPokeBpWithoutTextMutex(), new AtomicFetch(), k, recordTrace: true);
        var t = TimelineModel.Build(new Counterexample(probe.Name, probe.Description, "atomic", "atomic", false, k, result));

        Assert.Equal(2, t.Lanes.Count(l => l.IsPatcher));
        var text = string.Join("\n", t.Explanation.Lines);
        Assert.DoesNotContain("the patcher's store", text);
        foreach (var writer in t.Lanes.Where(l => l.IsPatcher))
            if (result.Events.OfType<WriterStored>().Any(e => e.Cpu == writer.Cpu && t.Explanation.Lines.Any(l => l.Contains($"at step {e.Step}"))))
                Assert.Contains($"the patcher (cpu{writer.Cpu})'s store", text);
        Assert.Contains("the patcher (cpu", text);
        var page = Parse(TimelineHtml.Render(t));
        Assert.Equal(t.Lanes.Where(l => l.IsPatcher).Select(l => $"patcher (cpu{l.Cpu})"),
            WithClass(page, "g", "patcher").Select(g => g.Element("text")!.Value));
        Assert.Contains(page.Descendants("p"), p => p.Value.Contains("the patcher (cpu", StringComparison.Ordinal));
    }

    [Fact]
    public void The_explanations_steps_link_to_their_rows()
    {
        var t = Naive();
        var page = Parse(TimelineHtml.Render(t));
        var ids = page.Descendants().Select(e => (string?)e.Attribute("id")).OfType<string>().ToHashSet();
        var links = page.Descendants("a").ToArray();
        Assert.NotEmpty(links);
        Assert.All(links, a => Assert.Contains(((string)a.Attribute("href")!)[1..], ids));
        Assert.All(links, a => Assert.Equal(((string)a.Attribute("href")!)[1..].Replace('-', ' '), a.Value));
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
