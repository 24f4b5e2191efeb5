using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conformance.Generators.Campaigns;
using Conformance.Patching;
using Conformance.Reporting;
using Conformance.Tests.Support;
using TimelineModel = Conformance.Reporting.Timeline;

namespace Conformance.Tests.Reporting;

/// <summary>
/// The HTML timeline as a person sees it: rendered by headless Chromium (Debian's <c>chromium</c>;
/// the test fails, not skips, without it) at a 1280 by 900 window, driven over the DevTools protocol.
/// Two pages in one browser: the widest approved row (cs-prefix: four CPUs and the patcher, wider
/// than the window) and a one-CPU row with a long earlier cut (stub-per-call-sti under NMIs). On
/// each: the page does not scroll sideways but the timeline's box does; every lane is there, can be
/// scrolled to and is not covered or cut, nor are its events; the offending event is on screen when
/// scrolled to, red, in its row and lane; a mouse click on a cut opens its rows in place (pushing the
/// rest down) and a second closes it; no dashed cut line runs through its label; the buttons and a
/// <c>#step-N</c> link open the cuts; nothing reaches the console as an error.
/// </summary>
public class TimelineBrowserTests
{
    private const int ViewportWidth = 1280, ViewportHeight = 900;

    private static readonly (string Patcher, string Model, bool Nmi)[] Pages =
    [
        ("cs-prefix", "architectural", false),
        ("stub-per-call-sti", "atomic", true),
    ];

    [Fact]
    public async Task A_person_sees_every_lane_the_red_offending_event_and_cuts_that_open_in_place()
    {
        string? chromium = HeadlessChromium.Find();
        Assert.True(chromium is not null,
            "chromium is not on PATH: this test renders the HTML timeline in Debian's headless chromium (apt-get install -y chromium; .ci/run installs it when missing)");
        var timer = Stopwatch.StartNew();
        // The browser starts while the counterexamples are replayed: the two take about as long.
        var starting = HeadlessChromium.Start(chromium!, ViewportWidth, ViewportHeight);
        var building = Task.WhenAll(Pages.Select(p => Task.Run(() => Approved(p.Patcher, p.Model, p.Nmi))));
        var dir = Directory.CreateTempSubdirectory("conformance-page-");
        var pages = new List<string>();
        TimeSpan ready;
        string product;
        try
        {
            await using var browser = await starting;
            var timelines = await building;
            ready = timer.Elapsed;
            product = await browser.Product();
            foreach (var t in timelines)
            {
                string file = Path.Combine(dir.FullName, $"{t.Source.Patcher}.html");
                File.WriteAllText(file, TimelineHtml.Render(t));
                var before = timer.Elapsed;
                await Check(browser, t, new Uri(file).AbsoluteUri);
                pages.Add($"{t.Source.Patcher} {(timer.Elapsed - before).TotalSeconds:0.0} s");
            }
        }
        finally { dir.Delete(recursive: true); }
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{product} ({chromium}): browser started and counterexamples replayed in {ready.TotalSeconds:0.0} s, pages: {string.Join(", ", pages)}; in all {timer.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The row's approved counterexample, replayed from the token its approved timeline records (faster than searching the cell again).</summary>
    private static TimelineModel Approved(string patcher, string model, bool nmi, [CallerFilePath] string here = "")
    {
        string approvals = Path.Combine(Path.GetDirectoryName(here)!, nameof(ApprovedTimelineTests) + ".cs");
        string timeline = Snapshot.Approved([("patcher", patcher), ("model", model), ("nmi", nmi)], nameof(ApprovedTimelineTests.Timeline), approvals)
            ?? throw new InvalidOperationException($"no approved timeline for {patcher} under {model}");
        var cell = MatrixCampaign.Replay(ReplayToken.Parse(ApprovedTimelineTests.TokenIn(timeline)), PatcherRegistry.BuiltIn);
        Assert.False(cell.Passed, $"{patcher} under {model}: the approved token no longer fails");
        return TimelineModel.Build(MatrixCounterexample.Of(cell, PatcherRegistry.Get(patcher))!);
    }

    private static async Task Check(HeadlessChromium browser, TimelineModel t, string url)
    {
        string page = t.Source.Patcher;
        await browser.Navigate(url);

        // The page fits the window; a machine wider than the window scrolls inside the timeline's box.
        var layout = await browser.Evaluate("""
            (function () {
              var tb = document.querySelector('.timeline-box'), b = tb.getBoundingClientRect();
              return { viewport: innerWidth, page: document.documentElement.scrollWidth, boxRight: b.right,
                       boxClient: tb.clientWidth, boxScroll: tb.scrollWidth, width: document.querySelector('.timeline').getBoundingClientRect().width,
                       overflow: getComputedStyle(tb).overflowX,
                       lanes: Array.prototype.map.call(document.querySelectorAll('svg.lanes g.lane'), function (g) { return g.querySelector('.lane-title').textContent; }) };
            })()
            """);
        Assert.True(Num(layout, "page") <= Num(layout, "viewport"), $"{page}: the page is {Num(layout, "page")} px wide in a {Num(layout, "viewport")} px window");
        Assert.True(Num(layout, "boxRight") <= Num(layout, "viewport"), $"{page}: the timeline's box ends at {Num(layout, "boxRight")} px");
        Assert.True(Num(layout, "boxScroll") >= Num(layout, "width"), $"{page}: the box scrolls over {Num(layout, "boxScroll")} px of a {Num(layout, "width")} px timeline");
        if (Num(layout, "width") > Num(layout, "boxClient")) Assert.Contains(layout.GetProperty("overflow").GetString(), new[] { "auto", "scroll" });
        Assert.Equal(t.Lanes.Select(l => l.Title), layout.GetProperty("lanes").EnumerateArray().Select(e => e.GetString()));

        // Every lane: scrolled to, its title is what the point under it shows, and it lies inside the box, as do its events.
        for (int i = 0; i < t.Lanes.Count; i++)
        {
            var lane = await browser.Evaluate($$"""
                (function (i) {
                  var tb = document.querySelector('.timeline-box'), g = document.querySelectorAll('svg.lanes g.lane')[i];
                  var bg = g.querySelector('.lane-bg'), title = g.querySelector('.lane-title');
                  bg.scrollIntoView({ block: 'nearest', inline: 'center' });
                  var b = tb.getBoundingClientRect(), r = bg.getBoundingClientRect(), tr = title.getBoundingClientRect();
                  var hit = document.elementFromPoint((tr.left + tr.right) / 2, (tr.top + tr.bottom) / 2);
                  var lo = Infinity, hi = -Infinity, n = 0;
                  document.querySelectorAll('.rows .event[data-lane="' + i + '"] rect').forEach(function (e) {
                    var er = e.getBoundingClientRect(); if (er.width === 0) return;
                    n++; lo = Math.min(lo, er.left); hi = Math.max(hi, er.right);
                  });
                  return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, boxLeft: b.left + tb.clientLeft, boxRight: b.left + tb.clientLeft + tb.clientWidth,
                           hit: !!hit && g.contains(hit), events: n, eventsLeft: n ? lo : 0, eventsRight: n ? hi : 0, vh: innerHeight };
                })({{i}})
                """);
            string what = $"{page}: lane {t.Lanes[i].Title}";
            Assert.True(lane.GetProperty("hit").GetBoolean(), $"{what}: its title is not what the window shows there (covered or clipped)");
            Assert.True(Num(lane, "left") >= Num(lane, "boxLeft") - 0.5 && Num(lane, "right") <= Num(lane, "boxRight") + 0.5,
                $"{what}: scrolled to, it spans {Num(lane, "left")}-{Num(lane, "right")} px, the box shows {Num(lane, "boxLeft")}-{Num(lane, "boxRight")} px");
            Assert.True(Num(lane, "top") >= 0 && Num(lane, "bottom") <= Num(lane, "vh"), $"{what}: its title is off screen vertically");
            Assert.True(Num(lane, "events") == 0 || Num(lane, "eventsLeft") >= Num(lane, "left") && Num(lane, "eventsRight") <= Num(lane, "right"),
                $"{what}: its events span {Num(lane, "eventsLeft")}-{Num(lane, "eventsRight")} px, past the lane");
        }

        // The offending event: on screen when scrolled to, not covered, red, in its row and lane.
        var row = t.Rows.First(r => r.Offending);
        int offendingLane = Enumerable.Range(0, t.Lanes.Count).First(i => row.Cells[i].Any(e => e.Offending));
        var offending = await browser.Evaluate("""
            (function () {
              var e = document.getElementById('offending');
              if (!e) return null;
              e.scrollIntoView({ block: 'center', inline: 'center' });
              var r = e.getBoundingClientRect(), tb = document.querySelector('.timeline-box'), b = tb.getBoundingClientRect();
              var hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
              return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, vw: innerWidth, vh: innerHeight,
                       boxLeft: b.left + tb.clientLeft, boxRight: b.left + tb.clientLeft + tb.clientWidth, hit: !!hit && e.contains(hit),
                       fill: getComputedStyle(e.querySelector('rect')).fill, ink: getComputedStyle(e.querySelector('text')).fill,
                       step: e.closest('.row').getAttribute('data-step'), lane: e.getAttribute('data-lane') };
            })()
            """);
        Assert.True(offending.ValueKind == JsonValueKind.Object, $"{page}: no element with id=offending");
        Assert.True(Num(offending, "left") >= Num(offending, "boxLeft") - 0.5 && Num(offending, "right") <= Num(offending, "boxRight") + 0.5
                    && Num(offending, "top") >= 0 && Num(offending, "bottom") <= Num(offending, "vh"), $"{page}: the offending event is not wholly on screen when scrolled to: {offending}");
        Assert.True(offending.GetProperty("hit").GetBoolean(), $"{page}: the offending event is covered");
        var (red, green, blue) = Rgb(offending.GetProperty("fill").GetString()!);
        Assert.True(red >= 180 && green <= 100 && blue <= 100, $"{page}: the offending event is {offending.GetProperty("fill")}, not red");
        var (inkR, inkG, inkB) = Rgb(offending.GetProperty("ink").GetString()!);
        Assert.True(inkR + inkG + inkB >= 600, $"{page}: the offending event's text is {offending.GetProperty("ink")} on red");
        Assert.Equal(row.Step.ToString(CultureInfo.InvariantCulture), offending.GetProperty("step").GetString());
        Assert.Equal(offendingLane.ToString(CultureInfo.InvariantCulture), offending.GetProperty("lane").GetString());

        // No dashed cut line runs through its label: the line is two pieces on either side of it, on its line.
        var cutLines = await browser.Evaluate("""
            (document.querySelector('.timeline-box').scrollLeft = 0, Array.prototype.map.call(document.querySelectorAll('.cut'), function (c) {
              var l = c.querySelector('.cut-label').getBoundingClientRect(), a = c.querySelector('.cut-line.lead').getBoundingClientRect(), z = c.querySelector('.cut-line.rest').getBoundingClientRect();
              return { label: [l.left, l.right, l.top, l.bottom], lead: [a.left, a.right, a.top], rest: [z.left, z.right, z.top],
                       style: getComputedStyle(c.querySelector('.cut-line')).borderTopStyle, ground: getComputedStyle(c.querySelector('.cut-label')).backgroundColor };
            }))
            """);
        Assert.Equal(t.Items.OfType<TimelineCut>().Count(), cutLines.GetArrayLength());
        foreach (var c in cutLines.EnumerateArray())
        {
            double[] label = Nums(c, "label"), lead = Nums(c, "lead"), rest = Nums(c, "rest");
            Assert.True(lead[1] <= label[0] + 0.5 && rest[0] >= label[1] - 0.5 && rest[1] > rest[0], $"{page}: a cut line crosses its label: {c}");
            Assert.True(lead[2] > label[2] && lead[2] < label[3], $"{page}: a cut line is not level with its label: {c}");
            Assert.Equal("dashed", c.GetProperty("style").GetString());
            Assert.DoesNotContain("rgba", c.GetProperty("ground").GetString());   // opaque: a label kept in view as the box scrolls covers the line it slides over
        }

        // A click on a cut opens its rows in place, pushing what follows down; a second click closes it.
        var cut = t.Items.OfType<TimelineCut>().First(x => t.RowsIn(x).Any());
        var hidden = t.RowsIn(cut).TakeLast(TimelineHtml.MaxCutRows).Select(r => r.Step.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (!cut.Earlier) hidden = t.RowsIn(cut).Take(TimelineHtml.MaxCutRows).Select(r => r.Step.ToString(CultureInfo.InvariantCulture)).ToArray();
        string cutState = $$"""
            (function () {
              var d = document.getElementById('cut-{{cut.From}}-{{cut.To}}'), l = d.querySelector('.cut-label');
              l.scrollIntoView({ block: 'center', inline: 'nearest' });
              var lr = l.getBoundingClientRect(), rows = d.querySelector('svg.cut-rows'), rr = rows.getBoundingClientRect();
              var next = d.nextElementSibling, tb = document.querySelector('.timeline-box').getBoundingClientRect();
              var shown = Array.prototype.filter.call(rows.querySelectorAll('g.row'), function (g) {
                var b = g.getBoundingClientRect(); return g.checkVisibility() && b.height > 0 && b.left >= tb.left - 0.5;
              }).map(function (g) { return g.getAttribute('data-step'); });
              var first = rows.querySelector('g.row .band'), fr = first.getBoundingClientRect();
              var hit = document.elementFromPoint(Math.max(tb.left + 2, fr.left + 2), (fr.top + fr.bottom) / 2);
              return { open: d.open, x: (lr.left + lr.right) / 2, y: (lr.top + lr.bottom) / 2, visible: rows.checkVisibility(),
                       rowsHeight: d.getBoundingClientRect().height - d.querySelector('summary').getBoundingClientRect().height,
                       firstHit: !!hit && first.parentNode.contains(hit), firstOnScreen: fr.top >= 0 && fr.bottom <= innerHeight,
                       nextTop: next ? next.getBoundingClientRect().top - lr.top : 0, hasNext: !!next, shown: shown };
            })()
            """;
        var closed = await browser.Evaluate(cutState);
        Assert.False(closed.GetProperty("open").GetBoolean(), $"{page}: a cut starts open");
        Assert.False(closed.GetProperty("visible").GetBoolean(), $"{page}: a closed cut's rows are visible");
        Assert.True(Num(closed, "rowsHeight") < 1, $"{page}: a closed cut takes {Num(closed, "rowsHeight")} px below its line");
        Assert.Empty(closed.GetProperty("shown").EnumerateArray());
        await browser.Click(Num(closed, "x"), Num(closed, "y"));
        var opened = await browser.Evaluate(cutState);
        Assert.True(opened.GetProperty("open").GetBoolean(), $"{page}: clicking the cut's label did not open it");
        Assert.True(opened.GetProperty("visible").GetBoolean() && Num(opened, "rowsHeight") > 0, $"{page}: the opened cut shows no rows");
        if (opened.GetProperty("firstOnScreen").GetBoolean())
            Assert.True(opened.GetProperty("firstHit").GetBoolean(), $"{page}: the opened cut's first row is covered");
        Assert.Equal(hidden, opened.GetProperty("shown").EnumerateArray().Select(e => e.GetString()));
        if (closed.GetProperty("hasNext").GetBoolean())
            Assert.True(Num(opened, "nextTop") >= Num(closed, "nextTop") + Num(opened, "rowsHeight") - 1,
                $"{page}: what follows the cut moved {Num(opened, "nextTop") - Num(closed, "nextTop")} px for {Num(opened, "rowsHeight")} px of rows: they overlap");
        await browser.Click(Num(opened, "x"), Num(opened, "y"));
        Assert.False((await browser.Evaluate(cutState)).GetProperty("open").GetBoolean(), $"{page}: a second click did not close the cut");

        // The page's script: the buttons open and close every cut, a link to a step opens the cut that holds it.
        string openCount = "Array.prototype.filter.call(document.querySelectorAll('details.cut'), function (d) { return d.open; }).length";
        int cuts = t.Items.OfType<TimelineCut>().Count(x => t.RowsIn(x).Any());
        await ClickOn(browser, "#open-cuts");
        Assert.Equal(cuts, (await browser.Evaluate(openCount)).GetInt32());
        await ClickOn(browser, "#close-cuts");
        Assert.Equal(0, (await browser.Evaluate(openCount)).GetInt32());
        await browser.Evaluate($"location.hash = '#step-{hidden[0]}'");
        await Task.Delay(50);   // hashchange is dispatched asynchronously
        var target = await browser.Evaluate($$"""
            (function () {
              var d = document.getElementById('cut-{{cut.From}}-{{cut.To}}'), r = document.getElementById('step-{{hidden[0]}}').getBoundingClientRect();
              return { open: d.open, top: r.top, bottom: r.bottom, vh: innerHeight };
            })()
            """);
        Assert.True(target.GetProperty("open").GetBoolean(), $"{page}: #step-{hidden[0]} did not open its cut");
        Assert.True(Num(target, "top") >= 0 && Num(target, "bottom") <= Num(target, "vh"), $"{page}: #step-{hidden[0]} is not scrolled into view: {target}");

        Assert.Empty(browser.ConsoleErrors());
    }

    private static async Task ClickOn(HeadlessChromium browser, string selector)
    {
        var at = await browser.Evaluate($$"""
            (function () {
              var e = document.querySelector('{{selector}}'); e.scrollIntoView({ block: 'center' });
              var r = e.getBoundingClientRect(); return { x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2 };
            })()
            """);
        await browser.Click(Num(at, "x"), Num(at, "y"));
    }

    private static double Num(JsonElement e, string name) => e.GetProperty(name).GetDouble();
    private static double[] Nums(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static (int R, int G, int B) Rgb(string css)
    {
        var m = Regex.Match(css, @"rgba?\((\d+),\s*(\d+),\s*(\d+)");
        Assert.True(m.Success, $"not a colour: {css}");
        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
    }
}
