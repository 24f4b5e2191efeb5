using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>Issue 13, item 6: a counterexample found once is stored and replayed first next time; a clean run's report does not change.</summary>
public class FailureDatabaseTests
{
    [Fact]
    public void Check_stores_a_counterexample_and_replays_it_first_next_time()
    {
        using var dir = new TempDirectory("conformance-db-");
        string db = Path.Combine(dir, "db");
        string[] args = ["check", "--patcher", "naive-text-poke", "--patcher", "text-poke-bp", "--model", "atomic", "--runs", "20", "--emulator-runs", "0", "--failure-db", db];
        var first = CliProcess.Run(args);
        Assert.Equal(0, first.Exit);   // naive-text-poke is expected to fail: the matrix agrees
        Assert.DoesNotContain("replayed", first.Out);
        var stored = Directory.GetFiles(Path.Combine(db, "failures"));
        Assert.Equal("naive-text-poke.atomic.txt", Path.GetFileName(Assert.Single(stored)));
        Assert.Equal("*", File.ReadAllLines(Path.Combine(db, ".gitignore"))[^1]);

        var second = CliProcess.Run(args);
        Assert.Equal(0, second.Exit);
        Assert.Contains("1 stored case(s) replayed before the random cases", second.Out);
        Assert.Contains("replayed stored case cf2:naive-text-poke:atomic:", second.Out);
        Assert.Contains("still fails (P1", second.Out);
        // Apart from the replay lines, the report is the clean run's, byte for byte.
        var clean = CliProcess.Run([.. args[..^2], "--failure-db", "off"]);
        Assert.Equal(Report(clean.Out), Report(WithoutReplays(second.Out)));
        Assert.Equal(Report(clean.Out), Report(first.Out));
    }

    /// <summary>The report, without the progress lines (their order follows the threads).</summary>
    private static string Report(string output) => string.Join('\n', output.Split('\n').Where(l => !l.StartsWith("verdict matrix:") && !l.StartsWith("matrix: ")));

    private static string WithoutReplays(string output) =>
        string.Join('\n', output.Split('\n').Where(l => !l.StartsWith("Failure database ") && !l.StartsWith("  replayed stored case")));

    [Fact]
    public void A_stored_case_that_passes_now_is_forgotten_and_a_campaign_that_passes_keeps_the_stored_failure()
    {
        using var dir = new TempDirectory("conformance-db-");
        var db = new FailureDatabase(dir);
        var naive = PatcherRegistry.Get("naive-text-poke");
        var model = FetchModelRegistry.Get("atomic");
        var found = MatrixCampaign.RunCell(naive, model, false, 40, PropertySettings.DefaultSeed, failRuns: 400);
        Assert.False(found.Passed);
        db.Save(found.Token!);
        db.Save(found.Token!);   // once
        Assert.Single(db.Stored("naive-text-poke", "atomic", false));

        // A campaign that found nothing (say, too few cases) still reports the stored counterexample.
        var passing = found with { Passed = true, Shrunk = null, ShrunkCase = null, Failure = null };
        var run = db.Run(naive, model, false, PatcherRegistry.BuiltIn, () => passing);
        Assert.False(run.Cell.Passed);
        Assert.True(Assert.Single(run.Replays).StillFails);

        // Another version's token cannot be replayed: it is said and forgotten.
        File.AppendAllLines(Path.Combine(dir, "failures", "naive-text-poke.atomic.txt"), ["cf0:naive-text-poke:atomic:-:4:1:1:1"]);
        var again = db.Run(naive, model, false, PatcherRegistry.BuiltIn, () => found);
        Assert.Contains(again.Replays, r => r.Problem is not null && r.ToString().Contains("not replayed"));
        Assert.Single(db.Stored("naive-text-poke", "atomic", false));
    }

    [Fact]
    public void Off_means_no_database()
    {
        Assert.Null(FailureDatabase.Open("off"));
        Assert.Equal(Path.GetFullPath("x/y"), FailureDatabase.Open("x/y")!.Directory);
    }
}
