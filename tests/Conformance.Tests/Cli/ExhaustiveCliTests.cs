using System.Text.Json;

namespace Conformance.Tests.Cli;

/// <summary><c>check --exhaustive</c> and <c>replay cx1:...</c> as a user runs them.</summary>
public class ExhaustiveCliTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args) => Support.CliProcess.Run(args);

    [Fact]
    public void Exhaustive_check_verifies_text_poke_bp_refutes_naive_and_writes_json()
    {
        string file = Path.GetTempFileName();
        try
        {
            var (exit, output, error) = Run("check", "--exhaustive", "--preemptions", "2", "--patcher", "text-poke-bp", "--patcher", "naive-text-poke",
                "--model", "block64", "--json", file);
            Assert.True(exit == 0, output + error);
            Assert.Contains("text-poke-bp / block64: verified: no counterexample within 2 preemption(s), ", output);
            Assert.Contains("replay cx2:naive-text-poke:block64:2:1:-:", output);
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            Assert.Equal(2, json.RootElement.GetProperty("exhaustive").GetProperty("preemptions").GetInt32());
            var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
            // The header and summary every report has (spec/reports.md).
            Assert.Equal(2, json.RootElement.GetProperty("format").GetInt32());
            Assert.Equal("exhaustive", json.RootElement.GetProperty("report").GetString());
            Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("tool").GetProperty("version").GetString()));
            var summary = json.RootElement.GetProperty("summary");
            Assert.Equal(results.Length, summary.GetProperty("cells").GetInt32());
            Assert.Equal(results.Count(r => r.GetProperty("outcome").GetString() == "verified"), summary.GetProperty("verified").GetInt32());
            Assert.Equal(exit, summary.GetProperty("exitCode").GetInt32());
            var bp = results.Single(r => r.GetProperty("patcher").GetString() == "text-poke-bp");
            Assert.Equal("verified", bp.GetProperty("outcome").GetString());
            Assert.True(bp.GetProperty("executions").GetInt64() > 0);
            var naive = results.Single(r => r.GetProperty("patcher").GetString() == "naive-text-poke");
            Assert.Equal("counterexample", naive.GetProperty("outcome").GetString());
            Assert.Equal("P1-old-new-or-trap", naive.GetProperty("property").GetString());
            Assert.True(naive.GetProperty("agrees").GetBoolean());

            // The printed token replays the counterexample.
            var replay = Run("replay", naive.GetProperty("replay").GetString()!);
            Assert.Equal(1, replay.Exit);
            Assert.Contains("P1-old-new-or-trap violated", replay.Out);

            // And explain draws it as a timeline.
            var explain = Run("explain", naive.GetProperty("replay").GetString()!);
            Assert.True(explain.Exit == 0, explain.Out + explain.Err);
            Assert.Contains("Why this violates P1-old-new-or-trap", explain.Out);
        }
        finally { File.Delete(file); }
    }

    /// <summary>
    /// The whole catalog under every model, as <c>check --exhaustive</c> runs it by default (and
    /// with 2 sites, and with IRQs off): every cell within the scenario's reach agrees with its
    /// expectation. With a near retarget (jmp targets 0x20 apart: only rel32's first byte changed)
    /// v8-jump-table's torn slot was "verified" under block32, block16 and architectural: a false pass.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("--sites 2")]
    [InlineData("--irqs-off")]
    public void Exhaustive_check_of_the_catalog_agrees_in_every_cell(string extra)
    {
        var (exit, output, error) = Run(["check", "--exhaustive", .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        Assert.True(exit == 0, output + error);
        foreach (var model in new[] { "block32", "block16", "architectural" })
            Assert.Contains($"v8-jump-table / {model}: counterexample", output);
    }

    [Fact]
    public void Exhaustive_check_finds_the_no_sync_2_mutant_as_a_plugin()
    {
        string plugin = typeof(Conformance.Tests.Patching.Mutants.TextPokeBpWithoutSync2).Assembly.Location;
        var (exit, output, error) = Run("check", "--exhaustive", "--plugin", plugin, "--patcher", "mutant-text-poke-bp-no-sync2",
            "--model", "atomic", "--model", "block16");
        Assert.True(exit == 0, output + error);   // verified under atomic, refuted under block16: as declared
        Assert.Contains("mutant-text-poke-bp-no-sync2 / atomic: verified", output);
        Assert.Contains("mutant-text-poke-bp-no-sync2 / block16: counterexample", output);
    }

    [Theory]
    [InlineData("check --exhaustive --preemptions 9", "--preemptions")]
    [InlineData("check --exhaustive --cpus 4", "--cpus 4")]
    [InlineData("check --exhaustive --sites 3", "--sites 3")]
    [InlineData("check --preemptions 1", "--preemptions belongs to the exhaustive mode")]
    [InlineData("check --exhaustive --runs 5", "--runs has no meaning with --exhaustive")]
    [InlineData("replay cx1:naive-text-poke:atomic:2:1:-:1x5:-", "format cx1, from an earlier version")]
    [InlineData("replay cx2:naive-text-poke:atomic:2:1:-:1x5", "token damaged")]
    [InlineData("replay cx2:no-such-patcher:atomic:2:1:-:1x5:-:4e48632f", "no-such-patcher")]
    public void Bad_exhaustive_usage_is_one_line_and_exit_code_2(string args, string named)
    {
        var (exit, _, error) = Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
