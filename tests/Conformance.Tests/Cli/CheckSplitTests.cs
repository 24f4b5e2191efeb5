using System.Text.Json;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// <c>check</c> split two ways, with the same results: over threads on one machine (<c>--threads</c>)
/// and over machines (<c>--shard I/N</c>, joined by <c>merge</c>). Both must give the unsplit run's
/// JSON byte for byte.
/// </summary>
public class CheckSplitTests
{
    // Two patchers (one failing, one passing), two models, a few cases: 4 cells, some shrinking.
    private static readonly string[] Campaign =
        ["check", "--patcher", "naive-text-poke", "--patcher", "text-poke-bp", "--patcher", "spin-in-bp", "--model", "atomic", "--model", "block16",
         "--runs", "15", "--seed", "5", "--emulator-runs", "1"];

    private static byte[] Json(string[] extra)
    {
        using var file = new TempFile();
        var (exit, _, error) = CliProcess.Run([.. Campaign, .. extra, "--json", file]);
        Assert.True(exit == 0, $"check {string.Join(' ', extra)} exited {exit}: {error}");
        return File.ReadAllBytes(file);
    }

    [Fact]
    public void One_thread_and_two_threads_write_the_same_json()
    {
        var one = Json(["--threads", "1"]);
        var two = Json(["--threads", "2"]);
        Assert.Equal(one, two);
        using var json = JsonDocument.Parse(one);
        Assert.Equal(6, json.RootElement.GetProperty("matrix").GetArrayLength());
        Assert.Equal("uniform-random", json.RootElement.GetProperty("strategy").GetString());   // the default search is named too (format 2)
    }

    private static JsonSchemaSubset Schema => ReportSchemas.Load("check-report.schema.json");

    [Fact]
    public void The_merged_shards_are_the_unsharded_run_byte_for_byte()
    {
        using var dir = new TempDirectory();
        var whole = Json(["--threads", "2"]);
        var shards = new List<string>();
        foreach (var shard in new[] { "2/3", "1/3", "3/3" })
        {
            var bytes = Json(["--shard", shard, "--threads", "1"]);
            using (var doc = JsonDocument.Parse(bytes))
            {
                Assert.Equal(int.Parse(shard[..1]), doc.RootElement.GetProperty("shard").GetProperty("index").GetInt32());
                Assert.Empty(Schema.Validate(doc.RootElement));   // a shard's document is a check report too (with its shard)
            }
            string path = Path.Combine(dir, $"shard{shard[0]}.json");
            File.WriteAllBytes(path, bytes);
            shards.Add(path);
        }
        string merged = Path.Combine(dir, "merged.json");
        var (exit, output, error) = CliProcess.Run(["merge", .. shards, "--json", merged]);
        Assert.True(exit == 0, error);
        Assert.Contains("naive-text-poke", output);
        Assert.Equal(whole, File.ReadAllBytes(merged));
        // What merge writes is the check report (spec/check-report.schema.json), whatever the shards.
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(merged)))
            Assert.Empty(Schema.Validate(doc.RootElement));

        var (missingExit, _, missing) = CliProcess.Run(["merge", shards[0], shards[1]]);
        Assert.Equal(2, missingExit);
        Assert.Contains("missing shard(s) 3/3", missing);
    }

    [Theory]
    [InlineData("check --shard 0/2", "--shard '0/2': I must be 1 to N")]
    [InlineData("check --shard 3/2", "--shard '3/2': I must be 1 to N")]
    [InlineData("check --shard x/y", "--shard 'x/y': expected I/N")]
    [InlineData("check --shard 1/0", "--shard '1/0': N must be at least 1")]
    [InlineData("check --threads 0", "--threads 0")]
    [InlineData("check --strategy nope", "--strategy: unknown schedule strategy 'nope'")]
    [InlineData("merge /no/such.json", "/no/such.json")]
    public void Bad_splits_are_one_line_and_exit_code_2(string args, string named)
    {
        var (exit, _, error) = CliProcess.Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
