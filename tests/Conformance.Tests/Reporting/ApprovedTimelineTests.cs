using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Reporting;
using Conformance.Tests.Support;
using TimelineModel = Conformance.Reporting.Timeline;

namespace Conformance.Tests.Reporting;

/// <summary>
/// Every known-bad row of the verdict matrix has an approved timeline of its shrunk counterexample
/// (the <c>ApprovedTimelineTests.Timeline_*.verified.txt</c> files beside this one), taken from one
/// fixed cell of the row at the tests' fixed seed. A change to the emulator, the machine, a
/// patcher, the generators or the shrinker that alters one of them fails here with a diff; if the
/// new timeline is right, accept it (spec/timelines.md). The token each approval records is
/// replayed too: the approved case must come back exactly.
/// </summary>
public class ApprovedTimelineTests
{
    /// <summary>
    /// Rows whose cell is not simply "the first model history expects to fail under". The one place
    /// these exceptions live; every other patcher with a declared failure gets its first such cell.
    /// </summary>
    private static readonly Dictionary<string, (string Model, bool Nmi, string Why)> Chosen = new()
    {
        ["cs-prefix"] = ("architectural", false, "undecided in history; the suite decides it fails under chunked and byte-wise fetch; at the tests' seed it is found under architectural (spec/verdicts.md)"),
        ["ftrace-regs-caller"] = ("atomic", false, "undecided in history; the suite decides it fails in every model (spec/verdicts.md)"),
    };

    /// <summary>
    /// A patcher whose every failing cell is open (MatrixCampaign.OpenCells: random search does not find
    /// it reliably, so the matrix test does not assert it) has no approved timeline: an approval
    /// would depend on luck. None today.
    /// </summary>
    private static bool OnlyOpenFailures(PatcherInfo p) =>
        MatrixCampaign.Cells([p], FetchModelRegistry.BuiltIn)
            .Where(c => MatrixCampaign.CellExpectation(p.Expectations, c.Model.Name, c.Nmi) == ExpectedVerdict.Fail)
            .All(c => MatrixCampaign.IsOpenCell(p.Name, c.Nmi));

    /// <summary>The known-bad rows, each with the cell whose counterexample is approved.</summary>
    public static TheoryData<string, string, bool> Rows()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var (patcher, model, nmi) in KnownBadRows()) data.Add(patcher, model, nmi);
        return data;
    }

    private static IEnumerable<(string Patcher, string Model, bool Nmi)> KnownBadRows()
    {
        foreach (var p in PatcherRegistry.BuiltIn)
        {
            if (Chosen.TryGetValue(p.Name, out var chosen)) { yield return (p.Name, chosen.Model, chosen.Nmi); continue; }
            var cell = MatrixCampaign.Cells([p], FetchModelRegistry.BuiltIn)
                .FirstOrDefault(c => MatrixCampaign.CellExpectation(p.Expectations, c.Model.Name, c.Nmi) == ExpectedVerdict.Fail && !MatrixCampaign.IsOpenCell(p.Name, c.Nmi));
            if (cell.Patcher is not null) yield return (p.Name, cell.Model.Name, cell.Nmi);
        }
    }

    private static (string, object?)[] Parameters(string patcher, string model, bool nmi) => [("patcher", patcher), ("model", model), ("nmi", nmi)];

    private static Counterexample CounterexampleOf(MatrixCell cell)
    {
        Assert.False(cell.Passed, $"{cell.Patcher} under {cell.Model}: no counterexample at the tests' seed, so there is no timeline to approve");
        return MatrixCounterexample.Of(cell, PatcherRegistry.Get(cell.Patcher))!;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Timeline(string patcher, string model, bool nmi)
    {
        var cell = MatrixCells.Get(patcher, model, nmi);   // the same cell VerdictMatrixTests runs, computed once
        Snapshot.Match(TimelineText.Render(TimelineModel.Build(CounterexampleOf(cell))), Parameters(patcher, model, nmi));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Replaying_the_approved_token_gives_the_approved_timeline(string patcher, string model, bool nmi)
    {
        string approved = Snapshot.Approved(Parameters(patcher, model, nmi), nameof(Timeline))
            ?? throw new InvalidOperationException($"no approved timeline for {patcher} yet: run the Timeline test and accept it first");
        var cell = MatrixCampaign.Replay(ReplayToken.Parse(TokenIn(approved)), PatcherRegistry.BuiltIn);
        Snapshot.Match(TimelineText.Render(TimelineModel.Build(CounterexampleOf(cell))), Parameters(patcher, model, nmi), method: nameof(Timeline), mayAccept: false);
    }

    /// <summary>
    /// Exact labels: the header's "at step N" is the step of the row the table marks (>>), a violation
    /// found during the run is that step itself, its text says "step" for the step and "t=" for the
    /// memory clock, and the JSON trace gives the violation's <c>step</c> and <c>clock</c> apart, the
    /// clock of a torn fetch being the offending event's.
    /// </summary>
    [Theory]
    [MemberData(nameof(Rows))]
    public void The_header_the_table_and_the_json_agree_on_the_offending_step_and_label_step_and_clock(string patcher, string model, bool nmi)
    {
        var c = CounterexampleOf(MatrixCells.Get(patcher, model, nmi));
        var v = c.Violation;
        var timeline = TimelineModel.Build(c);
        string text = TimelineText.Render(timeline);
        var marked = Assert.Single(timeline.Rows, r => r.Offending);
        Assert.Equal(marked.Step, timeline.OffendingStep);
        Assert.StartsWith($"{v.Property}, violated on cpu{v.Cpu} at step {marked.Step}", CaseNotationTests.HeaderValue(text, "property"));
        Assert.Contains(text.Split('\n'), l => l.StartsWith($">> {marked.Step,5} {marked.Clock,6} |", StringComparison.Ordinal));
        if (!v.AtRunEnd) Assert.Equal(v.Step, marked.Step);
        else Assert.True(marked.Step <= v.Step && v.Step == c.Result.Steps - 1, $"found at the run's end: step {v.Step} of {c.Result.Steps}");
        Assert.StartsWith($"{v.Property} violated on cpu{v.Cpu} at step {v.Step} (t={v.Clock}): ", v.ToString());

        using var json = System.Text.Json.JsonDocument.Parse(TraceJson.Render(timeline));
        var first = json.RootElement.GetProperty("violations")[0];
        Assert.Equal(v.Step, first.GetProperty("step").GetInt64());
        Assert.Equal(v.Clock, first.GetProperty("clock").GetInt64());
        Assert.False(first.TryGetProperty("time", out _));
        var offending = json.RootElement.GetProperty("events").EnumerateArray().Where(e => e.TryGetProperty("offending", out _)).ToArray();
        Assert.NotEmpty(offending);
        Assert.All(offending, e => Assert.Equal(marked.Step, e.GetProperty("step").GetInt64()));
        if (v.Fetch is { } fetch) Assert.Equal(fetch.Time, Assert.Single(offending).GetProperty("clock").GetInt64());
        if (v.FromStep >= 0) Assert.Equal(v.FromStep, first.GetProperty("fromStep").GetInt64());
    }

    /// <summary>The replay token a timeline's header records.</summary>
    public static string TokenIn(string timeline)
    {
        const string marker = "-- explain ";
        var line = timeline.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("replay ", StringComparison.Ordinal) && l.Contains(marker))
            ?? throw new InvalidOperationException("the timeline's header has no replay line");
        return line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Trim().Split(' ')[0];   // the token, without a --plugin after it
    }

    [Fact]
    public void Every_patcher_history_expects_to_fail_has_a_row_unless_all_its_failures_are_open()
    {
        var rows = KnownBadRows().Select(r => r.Patcher).ToHashSet();
        foreach (var p in PatcherRegistry.BuiltIn.Where(p => p.Expectations.Any(e => e.Verdict == ExpectedVerdict.Fail) && !OnlyOpenFailures(p)))
            Assert.Contains(p.Name, rows);
        Assert.All(Chosen.Keys, name => Assert.Contains(name, rows));
    }

    [Fact]
    public void Every_approved_timeline_belongs_to_a_row()
    {
        var expected = KnownBadRows().Select(r => (string?)Path.GetFileName(Snapshot.Files.For(".", nameof(ApprovedTimelineTests), nameof(Timeline), Parameters(r.Patcher, r.Model, r.Nmi)).Verified)).ToHashSet();
        var present = Snapshot.VerifiedFiles(nameof(Timeline)).Select(f => Path.GetFileName(f)).ToArray();
        Assert.All(present, f => Assert.Contains(f, expected));   // a stale approval (a row renamed or gone) must be deleted
    }

    [Fact]
    public void A_two_cpu_naive_timeline_fits_on_one_screen()
    {
        var c = CounterexampleOf(MatrixCells.Get("naive-text-poke", "atomic", false));
        Assert.Equal(2, c.Case.Cpus);
        var lines = TimelineText.Render(TimelineModel.Build(c)).TrimEnd('\n').Split('\n');
        Assert.InRange(lines.Length, 10, 50);
        Assert.All(lines, l => Assert.True(l.Length <= TimelineText.MaxWidth, $"{l.Length} columns: {l}"));
    }

    [Fact]
    public void Every_approved_timeline_is_at_most_160_columns_wide()
    {
        foreach (var file in Snapshot.VerifiedFiles(nameof(Timeline)))
            Assert.All(File.ReadAllLines(file), l => Assert.True(l.Length <= TimelineText.MaxWidth, $"{Path.GetFileName(file)}: {l.Length} columns: {l}"));
    }
}
