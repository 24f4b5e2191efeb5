using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Conformance.Cli;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// One small exhaustive run, whole and as three shards, written once for <see cref="ExhaustiveShardTests"/>.
/// Its units: catalog rows with and without an NMI row, a plug-in's part, and a plug-in that does not
/// load (an error cell, so the run disagrees and exits 1).
/// </summary>
public sealed class ExhaustiveShardFiles : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("exhaustive-shards").FullName;
    public string Whole => Path.Combine(Directory, "whole.json");
    public string WholeJunit => Path.Combine(Directory, "whole.xml");
    public string Part(int k) => Path.Combine(Directory, $"shard{k}.json");
    public string OtherRun => Path.Combine(Directory, "other.json");
    public (int Exit, string Out, string Err) WholeRun { get; }
    public IReadOnlyList<(int Exit, string Out, string Err)> Shards { get; }

    public static string[] Args(params string[] more) =>
        ["check", "--exhaustive", "--interrupts", "0", "--threads", "1", "--plugin", BadPluginRun.Plugin, .. BadPluginRun.Limits,
         "--patcher", "naive-text-poke", "--patcher", "stub-per-call-sti", "--patcher", "bad-plugins-good", "--patcher", "text-poke-bp",
         "--patcher", "Conformance.BadPlugins.ThrowingConstructor", "--model", "atomic", "--model", "block16", .. more];

    public ExhaustiveShardFiles()
    {
        WholeRun = CliProcess.Run(Args("--json", Whole, "--junit", WholeJunit));
        Shards = Enumerable.Range(1, 3).Select(k => CliProcess.Run(Args("--shard", $"{k}/3", "--json", Part(k)))).ToArray();
        // Another run of the same size and units: other bounds.
        var other = CliProcess.Run(Args("--preemptions", "1", "--shard", "2/3", "--json", OtherRun));
        if (other.Exit is not (0 or 1)) throw new InvalidOperationException($"the other run's shard exited {other.Exit}: {other.Err}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// <c>check --exhaustive --shard I/N</c> and <c>merge</c> of its shards (spec/exhaustive.md, "Shards"):
/// the merged JSON is the whole run's byte for byte, its exit code and JUnit the whole run's; a wrong set
/// of shards is one line naming the file and the field, exit 2.
/// </summary>
public class ExhaustiveShardTests(ExhaustiveShardFiles files) : IClassFixture<ExhaustiveShardFiles>
{
    private static readonly Regex Seconds = new(@"; \d+(\.\d+)? s\)", RegexOptions.CultureInvariant);

    [Fact]
    public void The_merged_shards_are_the_whole_run_byte_for_byte()
    {
        Assert.True(files.WholeRun.Exit == 1, files.WholeRun.Out + files.WholeRun.Err);   // the plug-in that does not load is an error
        Assert.All(files.Shards, s => Assert.True(s.Exit is 0 or 1, s.Out + s.Err));
        using var json = new TempFile();
        using var junit = new TempFile();
        // Given out of order: the merge puts the units back in the run's order.
        var merged = CliProcess.Run("merge", files.Part(3), files.Part(1), files.Part(2), "--json", json, "--junit", junit);
        Assert.Equal(files.WholeRun.Exit, merged.Exit);
        Assert.Equal(File.ReadAllText(files.Whole), File.ReadAllText(json));
        Assert.Equal(File.ReadAllText(files.WholeJunit), File.ReadAllText(junit));
        // The merged output names every cell with its word, as the run did, and ends with the run's last line.
        var whole = files.WholeRun.Out.TrimEnd().Split('\n');
        Assert.Equal(whole[^1], merged.Out.TrimEnd().Split('\n')[^1]);
        Assert.Contains("replay cx2:naive-text-poke:", merged.Out);
        Assert.Contains("text-poke-bp / block16: verified", merged.Out);
        Assert.Contains("Conformance.BadPlugins.ThrowingConstructor / atomic", merged.Out);
        // Not vacuous: each shard holds a part of the run, and together all of it.
        var cells = files.Shards.Select((_, k) => JsonNode.Parse(File.ReadAllText(files.Part(k + 1)))!["results"]!.AsArray().Count).ToArray();
        int all = JsonNode.Parse(File.ReadAllText(files.Whole))!["results"]!.AsArray().Count;
        Assert.All(cells, c => Assert.InRange(c, 1, all - 1));
        Assert.Equal(all, cells.Sum());
        Assert.Empty(ReportSchemas.Load("exhaustive-report.schema.json").Validate(System.Text.Json.JsonDocument.Parse(File.ReadAllText(files.Part(1))).RootElement));
    }

    [Fact]
    public void A_shard_names_its_units_and_prints_only_their_cells()
    {
        var first = files.Shards[0].Out;
        Assert.Contains("Shard 1/3: ", first);
        Assert.Contains("merge joins the shards' --json", first);
        var shard = JsonNode.Parse(File.ReadAllText(files.Part(1)))!["shard"]!;
        var names = shard["unitNames"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
        // Each NMI switch of a catalog patcher is a unit; a plug-in's part and a plug-in that did not load are one each.
        Assert.Contains("stub-per-call-sti", names);
        Assert.Contains("stub-per-call-sti +NMI", names);
        Assert.Contains("bad-plugins-good", names);
        Assert.Contains("Conformance.BadPlugins.ThrowingConstructor", names);
        Assert.Equal(names.Length, shard["units"]!.GetValue<int>());
        // Units 1, 4, ... are shard 1's; the others' cells are not printed in it.
        Assert.Contains($"{names[0]} / atomic", first);
        Assert.DoesNotContain($"{names[1]} / atomic", first);
    }

    private string Changed(string shard, Action<JsonNode> change, string name)
    {
        var doc = JsonNode.Parse(File.ReadAllText(shard))!;
        change(doc);
        string path = Path.Combine(files.Directory, name);
        File.WriteAllText(path, doc.ToJsonString());
        return path;
    }

    private static void Refused((int Exit, string Out, string Err) run, string said)
    {
        Assert.True(run.Exit == 2, run.Out + run.Err);
        var line = Assert.Single(run.Err.Trim().Split('\n'));
        Assert.Contains(said, line);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void A_missing_shard_is_refused()
        => Refused(CliProcess.Run("merge", files.Part(1), files.Part(3)), "missing shard(s) 2/3 of the exhaustive run");

    [Fact]
    public void A_shard_given_twice_is_refused()
        => Refused(CliProcess.Run("merge", files.Part(1), files.Part(2), files.Part(2)), "field 'shard.index' is 2, as in");

    [Fact]
    public void A_shard_of_another_run_is_refused()
        => Refused(CliProcess.Run("merge", files.Part(1), files.OtherRun, files.Part(3)), "field 'exhaustive' differs from");

    [Fact]
    public void A_moved_cell_is_refused()
    {
        // The shard's first two cells swap places with its last two: each unit's count still adds up.
        string moved = Changed(files.Part(1), d =>
        {
            var results = d["results"]!.AsArray();
            var cells = results.Select(r => r!.DeepClone()).ToList();
            (cells[0], cells[^1]) = (cells[^1], cells[0]);
            results.Clear();
            foreach (var c in cells) results.Add(c);
        }, "moved.json");
        Refused(CliProcess.Run("merge", moved, files.Part(2), files.Part(3)), "field 'results[0]' is a cell of ");
    }

    [Fact]
    public void A_shard_without_its_shard_field_is_refused()
    {
        string whole = Changed(files.Part(1), d => d.AsObject().Remove("shard"), "noshard.json");
        Refused(CliProcess.Run("merge", whole, files.Part(2), files.Part(3)), "field 'shard' is missing: not a shard");
    }

    [Fact]
    public void A_left_out_cell_is_refused()
    {
        string shorter = Changed(files.Part(2), d => d["results"]!.AsArray().RemoveAt(0), "shorter.json");
        Refused(CliProcess.Run("merge", files.Part(1), shorter, files.Part(3)), "field 'results' holds ");
    }

    [Fact]
    public void A_check_shard_among_exhaustive_ones_is_refused()
    {
        using var check = new TempFile();
        var run = CliProcess.Run("check", "--patcher", "text-poke-bp", "--model", "atomic", "--runs", "2", "--emulator-runs", "0", "--shard", "1/3", "--json", check);
        Assert.True(run.Exit == 0, run.Out + run.Err);
        Refused(CliProcess.Run("merge", files.Part(1), check, files.Part(3)), "a check shard, but ");
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("one/3")]
    public void A_bad_shard_is_a_usage_error(string shard)
        => Refused(CliProcess.Run("check", "--exhaustive", "--patcher", "text-poke-bp", "--shard", shard), "--shard");

    [Fact]
    public void Shards_print_what_the_whole_run_prints()
    {
        // Every cell line of the whole run is in exactly one shard's output (seconds aside).
        string Lines(string text) => Seconds.Replace(text, "");
        var shardLines = files.Shards.SelectMany(s => Lines(s.Out).Split('\n')).Where(l => l.Contains(" / ")).ToArray();
        var wholeLines = Lines(files.WholeRun.Out).Split('\n').Where(l => l.Contains(" / ")).ToArray();
        Assert.Equal(wholeLines.Order(StringComparer.Ordinal), shardLines.Order(StringComparer.Ordinal));
    }
}
