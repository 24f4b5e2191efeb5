using System.Text.Json;
using Conformance.Cli;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// Issue 12 item 5: <c>check</c> runs, for each cell, the random cases and a bounded proof, and says
/// which settled the cell (spec/verdicts.md, "Settled verdicts"): verified, found by the random
/// cases, by a kept counterexample or by the proof; the same verdict under any seed.
/// </summary>
public class SettledVerdictTests
{
    private static PatcherInfo Patcher(string name) => PatcherRegistry.BuiltIn.Single(p => p.Name == name);

    [Fact]
    public void A_correct_scheme_is_verified_in_every_model()
    {
        foreach (var model in FetchModelRegistry.BuiltIn)
        {
            var proof = CellProof.Run(Patcher("text-poke-bp"), model, nmi: false);
            Assert.Equal(ProofReport.Verified, proof.Outcome);
            Assert.True(proof.Layouts >= 5, $"{model.Name}: {proof.Layouts} layouts: every layout class of the model is explored");
            Assert.True(proof.Executions > 0);
        }
    }

    /// <summary>The proof must be able to fail: naive patching is refuted in every model, with a cx2 token that replays to the same property.</summary>
    [Fact]
    public void The_proof_refutes_naive_patching_in_every_model_with_a_token_that_replays()
    {
        foreach (var model in FetchModelRegistry.BuiltIn)
        {
            var proof = CellProof.Run(Patcher("naive-text-poke"), model, nmi: false);
            Assert.Equal(ProofReport.Counterexample, proof.Outcome);
            Assert.Equal("P1-old-new-or-trap", proof.Property);
            Assert.StartsWith("cx2:naive-text-poke:" + model.Name + ":", proof.Replay);
            var (exit, output, _) = CliTests.Run("replay", proof.Replay!);
            Assert.Equal(1, exit);
            Assert.Contains("P1-old-new-or-trap", output);
        }
    }

    /// <summary>A cell whose random cases found nothing but whose proof found a counterexample fails, found by the proof, with its token.</summary>
    [Fact]
    public void A_counterexample_only_the_proof_found_fails_the_cell_and_says_so()
    {
        var model = FetchModelRegistry.Get("atomic");
        var passing = new CellOutcome(new CellReport("naive-text-poke", "atomic", false, "pass", "fail", false, false, 7, null, null, null, null, null, null, null), null);
        var proof = CellProof.Run(Patcher("naive-text-poke"), model, nmi: false);
        var cell = passing.WithProof(proof);
        Assert.Equal("fail", cell.Report.Verdict);
        Assert.True(cell.Report.Agrees);
        Assert.False(cell.Report.Verified);
        Assert.Equal(CellOutcome.FoundByProof, cell.Report.FoundBy);
        Assert.Equal(proof.Replay, cell.Report.Replay);
        Assert.Contains("found by the bounded proof", cell.Line);
        Assert.Contains(proof.Replay!, cell.Line);

        // The same under an expectation of pass: a disagreement, never a verified cell.
        var accused = (passing with { Report = passing.Report with { Expected = "pass", Agrees = true } }).WithProof(proof);
        Assert.False(accused.Report.Agrees);
        Assert.False(accused.Report.Verified);
    }

    [Fact]
    public void A_cell_is_verified_only_when_the_proof_verified_it_and_the_random_cases_found_nothing()
    {
        var verified = ProofReport.Without(ProofReport.Verified, "");
        var pass = new CellOutcome(new CellReport("x", "atomic", false, "pass", "pass", true, false, 7, null, null, null, null, null, null, null), null);
        Assert.True(pass.WithProof(verified).Report.Verified);
        Assert.False(pass.WithProof(ProofReport.Without(ProofReport.Incomplete, "gave up")).Report.Verified);
        Assert.False(pass.WithProof(ProofReport.Without(ProofReport.NotExplored, "NMI")).Report.Verified);
        var fail = new CellOutcome(pass.Report with { Verdict = "fail", FoundBy = CellOutcome.FoundByRandom }, "line");
        var withProof = fail.WithProof(verified);
        Assert.False(withProof.Report.Verified);
        Assert.Equal("fail", withProof.Report.Verdict);
        Assert.Equal(CellOutcome.FoundByRandom, withProof.Report.FoundBy);
    }

    /// <summary>Every kept counterexample still fails, with the property it was kept for: else the verdict it settles is no longer evidenced.</summary>
    [Fact]
    public void Every_kept_counterexample_still_fails_its_property()
    {
        Assert.NotEmpty(KeptCounterexamples.All);
        foreach (var kept in KeptCounterexamples.All)
        {
            var cell = MatrixCampaign.Replay(ReplayToken.Parse(kept.Token), PatcherRegistry.BuiltIn);
            Assert.False(cell.Passed, $"{kept.Token} passes now");
            Assert.Equal(kept.Property, cell.Property);
            Assert.Equal(kept.Model, cell.Model);
        }
    }

    /// <summary>
    /// The verdict of every cell of cs-prefix (history undecided) and v8-jump-table is the same at two
    /// seeds, and each cell says whether it is verified or found (the Done-when of issue 12). (text-poke-bp,
    /// verified in every model by its own test above, was a third patcher here: its 1,200 passing random
    /// cases were the test's dearest part and added no seed-dependent cell.)
    /// At seed 1 cs-prefix's random cases tear block32 and miss block16 and architectural; at seed 2 the
    /// other way round: the kept counterexamples settle them.
    /// </summary>
    [Fact]
    public void Check_gives_the_same_verdict_in_every_cell_at_two_seeds_each_verified_or_found()
    {
        var verdicts = new List<string[]>();
        foreach (var seed in new[] { "1", "2" })
        {
            using var file = new TempFile();
            var (exit, output, error) = CliTests.Run("check", "--patcher", "cs-prefix", "--patcher", "v8-jump-table",
                "--seed", seed, "--emulator-runs", "0", "--failure-db", "off", "--json", file);
            Assert.True(exit == 0, output + error);
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var cells = json.RootElement.GetProperty("matrix").EnumerateArray().ToArray();
            Assert.Equal(10, cells.Length);
            foreach (var c in cells)
            {
                string name = $"{c.GetProperty("patcher").GetString()}/{c.GetProperty("model").GetString()} at seed {seed}";
                bool isVerified = c.GetProperty("verified").GetBoolean();
                bool found = c.TryGetProperty("foundBy", out var by) && by.GetString() is not null;
                Assert.True(isVerified ^ found, $"{name}: neither verified nor found (or both)");
                Assert.Equal(c.GetProperty("verdict").GetString() == "fail", found);
            }
            Assert.Equal(cells.Count(c => c.GetProperty("verified").GetBoolean()), json.RootElement.GetProperty("summary").GetProperty("verified").GetInt32());
            verdicts.Add(cells.Select(c => $"{c.GetProperty("patcher").GetString()}/{c.GetProperty("model").GetString()}: {c.GetProperty("verdict").GetString()} {c.GetProperty("verified").GetBoolean()}").ToArray());
            Assert.Contains("Bounded proof per cell", output);
        }
        Assert.Equal(verdicts[0], verdicts[1]);
        Assert.Contains("cs-prefix/block32: fail False", verdicts[0]);
        Assert.Contains("cs-prefix/block64: pass True", verdicts[0]);
    }

    [Fact]
    public void Quick_runs_no_proof_and_verifies_nothing()
    {
        using var file = new TempFile();
        var (exit, output, error) = CliTests.Run("check", "--quick", "--patcher", "text-poke-bp", "--runs", "5", "--emulator-runs", "0", "--failure-db", "off", "--json", file);
        Assert.True(exit == 0, output + error);
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(0, json.RootElement.GetProperty("summary").GetProperty("verified").GetInt32());
        Assert.True(json.RootElement.GetProperty("options").GetProperty("quick").GetBoolean());
        Assert.All(json.RootElement.GetProperty("matrix").EnumerateArray(), c => Assert.False(c.TryGetProperty("proof", out _)));
        Assert.Contains("No bounded proof (--quick)", output);
        Assert.DoesNotContain("verified", output.Split('\n').Where(l => l.Contains("text-poke-bp") && l.Contains('│')).Single());
    }

    [Theory]
    [InlineData("check --quick --exhaustive", "--quick has no meaning with --exhaustive")]
    [InlineData("check --quick --mutants", "--quick")]
    public void Quick_with_a_mode_that_has_no_proof_to_skip_is_refused(string args, string says)
    {
        var (exit, _, error) = CliTests.Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(says, error);
    }
}
