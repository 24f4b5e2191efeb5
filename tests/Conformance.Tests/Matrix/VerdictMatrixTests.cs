using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Reporting;
using Conformance.Tests.Support;

namespace Conformance.Tests.Matrix;

/// <summary>
/// The verdict matrix: every catalog patcher under every fetch model (and both settings of the NMI
/// switch where a patcher's expectations name it), at a fixed seed. A cell history expects to fail
/// must be found (and shrunk) for the reason history gives; a cell expected to pass must survive;
/// an undecided cell reports what the suite found. <c>CONFORMANCE_RUNS=N</c> raises the runs.
/// </summary>
public class VerdictMatrixTests
{
    public static TheoryData<string, string, bool> Cells()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var (p, m, nmi) in MatrixCampaign.Cells(PatcherRegistry.BuiltIn, FetchModelRegistry.BuiltIn))
            data.Add(p.Name, m.Name, nmi);
        return data;
    }

    [Fact]
    public void Open_cells_are_cells_history_expects_to_fail()
    {
        foreach (var (patcher, nmi, _) in MatrixCampaign.OpenCells)
            foreach (var model in Expect.AllModels)
                Assert.Equal(ExpectedVerdict.Fail, MatrixCampaign.CellExpectation(PatcherRegistry.Get(patcher).Expectations, model, nmi));
    }

    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable(PropertySettings.RunsVariable), out int n) && n > 0 ? n : MatrixCells.PassRuns;

    [Theory]
    [MemberData(nameof(Cells))]
    public void The_cell_agrees_with_history(string patcher, string model, bool nmi)
    {
        var info = PatcherRegistry.Get(patcher);
        var cell = MatrixCells.Get(patcher, model, nmi, Runs);   // shared with the approved timelines (ApprovedTimelineTests)
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{patcher} under {model}{(nmi ? ", NMI may end the STI shadow" : "")}: expected {cell.Expected}, found {cell.Verdict} after {cell.Runs} cases");
        if (cell.Shrunk is { } shrunk)
        {
            output?.WriteLine($"shrunk case: {cell.ShrunkCase}");
            foreach (var v in shrunk.Violations) output?.WriteLine($"  {v}");
            output?.WriteLine($"replay: {Conformance.Checking.Tokens.TokenCommand.Line("replay", cell.Token!.ToString(), cell.Token.Plugin)}");
        }
        string? timeline = MatrixCounterexample.Of(cell, info) is { } c ? TimelineText.Render(Timeline.Build(c)) : null;
        if (timeline is not null) output?.WriteLine(timeline);
        if (cell.IsOpen) return;   // reported above; see MatrixCampaign.OpenCells
        Assert.True(cell.Agrees, $"{patcher} under {model}: history expects {cell.Expected}, the suite found {cell.Verdict}" +
                                 (cell.Shrunk?.First is { } first ? $": {first}\n\n{timeline}" : $" (no counterexample in {cell.Runs} cases)"));
        if (cell.Expected == ExpectedVerdict.Fail)
        {
            var kind = MatrixCampaign.ExpectedFailure(info.Expectations, model, nmi)!.Value;
            Assert.NotNull(cell.Shrunk);
            Assert.False(cell.Shrunk!.Passed, "the shrunk case must still fail");
            Assert.Contains(cell.Shrunk.First!.Property, MatrixCampaign.PropertiesFor(kind));
        }
    }

    [Fact]
    public void The_naive_patchers_counterexample_shrinks_to_two_cpus_and_a_few_dozen_steps()
    {
        var cell = MatrixCells.Get("naive-text-poke", "atomic", false);
        Assert.False(cell.Passed);
        Assert.Equal(2, cell.ShrunkCase!.Cpus);
        Assert.Single(cell.ShrunkCase.Sites);
        Assert.Empty(cell.ShrunkCase.Schedule.Interrupts);
        Assert.InRange(cell.ShrunkCase.Schedule.TotalSteps, 1, 36);
    }

    [Fact]
    public void A_replay_token_reproduces_the_shrunk_case_exactly()
    {
        var cell = MatrixCells.Get("text-poke-bp-pre2019", "block64", false);
        Assert.NotNull(cell.Token);
        var again = MatrixCampaign.Replay(ReplayToken.Parse(cell.Token!.ToString()), PatcherRegistry.BuiltIn);
        Assert.Equal(cell.ShrunkCase!.ToString(), again.ShrunkCase!.ToString());
        Assert.Equal(string.Join("\n", cell.Shrunk!.Trace), string.Join("\n", again.Shrunk!.Trace));
    }

    [Theory]
    [InlineData("cf0:text-poke-bp:atomic:-:4:1:1:1", "format cf0")]
    [InlineData("text-poke-bp", "not a token")]
    [InlineData("cf2:text-poke-bp:atomic:maybe:4:1:1:1:e0d5a1c4", "token damaged")]
    public void A_bad_replay_token_is_refused_with_the_reason(string token, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ReplayToken.Parse(token));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_token_with_a_bad_nmi_field_and_a_good_checksum_names_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() => ReplayToken.Parse(SealedToken.Of("cf2:text-poke-bp:atomic:maybe:4:1:1:1")));
        Assert.Contains("NMI switch 'maybe'", e.Message);
    }
}
