using System.Text.Json.Nodes;
using Conformance.Cli;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>Two shards of one small campaign and a shard of another, written once for <see cref="MergeValidationTests"/>.</summary>
public sealed class ShardFiles : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("shards").FullName;
    public string First => Path.Combine(Directory, "a.json");
    public string Second => Path.Combine(Directory, "b.json");
    public string OtherRun => Path.Combine(Directory, "other.json");

    public ShardFiles()
    {
        Write(First, "naive-text-poke", "1/2");
        Write(Second, "naive-text-poke", "2/2");
        Write(OtherRun, "spin-in-bp", "2/2");   // the same size, other patchers
    }

    private static void Write(string path, string patcher, string shard)
    {
        var (exit, _, error) = CliProcess.Run("check", "--patcher", patcher, "--patcher", "text-poke-bp", "--model", "atomic", "--model", "block16",
            "--runs", "5", "--seed", "5", "--emulator-runs", "1", "--shard", shard, "--json", path);
        if (exit != 0) throw new InvalidOperationException($"check --shard {shard} exited {exit}: {error}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// <c>merge</c> validates every shard: each problem is one line naming the shard's file and the
/// field (exit 2, no stack trace), never a silent merge of the wrong data.
/// </summary>
public class MergeValidationTests(ShardFiles shards) : IClassFixture<ShardFiles>
{
    /// <summary>A copy of <paramref name="shard"/> changed by <paramref name="change"/>, in the fixture's directory.</summary>
    private string Changed(string shard, Action<JsonNode> change, string name)
    {
        var doc = JsonNode.Parse(File.ReadAllText(shard))!;
        change(doc);
        string path = Path.Combine(shards.Directory, name);
        File.WriteAllText(path, doc.ToJsonString());
        return path;
    }

    private static string Refused(params string[] paths) => Assert.Throws<UsageException>(() => MergeCommand.Merge(paths)).Message;

    [Fact]
    public void The_good_shards_merge()
    {
        var merged = MergeCommand.Merge([shards.Second, shards.First]);
        Assert.Equal(4, merged.Matrix.Count);
        Assert.Null(merged.Shard);
    }

    public static TheoryData<string, string, string> Damage => new()
    {
        // what is done to b.json, the field named, what is said
        { "delete seed", "seed", "field 'seed' is missing" },
        { "format=1", "format", "field 'format' is 1, expected 3: a shard of another version" },
        { "delete matrix[1].verdict", "matrix[1].verdict", "field 'matrix[1].verdict' is missing" },
        { "delete shard.cellNames", "shard.cellNames", "field 'shard.cellNames' is missing" },
        { "delete emulator[0].forms", "emulator[0].forms", "field 'emulator[0].forms' is missing" },
        { "runsPerCell=\"x\"", "runsPerCell", "field 'runsPerCell' is the string \"x\", expected a whole number" },
        { "seed=-1", "seed", "field 'seed' is -1, expected a whole number from 0 to 18446744073709551615" },
        { "matrix[0].agrees=1", "matrix[0].agrees", "field 'matrix[0].agrees' is 1, expected true or false" },
        { "matrix[0].verdict=\"maybe\"", "matrix[0].verdict", "field 'matrix[0].verdict' is 'maybe', expected pass or fail" },
        { "matrix[0].agrees=false", "matrix[0].agrees", "field 'matrix[0].agrees' is false, but verdict " },
        { "matrix=null", "matrix", "field 'matrix' is null, expected an array" },
        { "seed=6", "seed", "field 'seed' is 6, but " },
        { "runsPerCell=6", "runsPerCell", "field 'runsPerCell' is 6, but " },
        { "maxCpus=3", "maxCpus", "field 'maxCpus' is 3, but " },
        { "strategy=\"pct\"", "strategy", "field 'strategy' is pct, but " },
        { "shard.count=3", "shard.count", "field 'shard.count' is 3, but " },
        { "shard.index=7", "shard.index", "field 'shard.index' is 7, expected 1 to shard.count (2)" },
        { "duplicate matrix[0] over matrix[1]", "matrix[1]", "field 'matrix[1]' is the cell naive-text-poke/block16, but shard 2/2 holds text-poke-bp/block16 there" },
        { "rename matrix[0].patcher", "matrix[0]", "field 'matrix[0]' is the cell naive-text-poke-v2/block16, but shard 2/2 holds naive-text-poke/block16 there" },
        { "delete matrix[1]", "matrix", "field 'matrix' holds 1 cell(s); shard 2/2 of the run's 4 holds 2" },
        { "rename emulator[0].family", "emulator[0].family", "field 'emulator[0].family' is no-such-family" },
        { "tamper matrix[0].replay", "matrix[0].replay", "field 'matrix[0].replay': token damaged: its checksum" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void A_damaged_shard_is_refused_naming_the_file_and_the_field(string change, string field, string says)
    {
        string bad = Changed(shards.Second, doc => Apply(doc, change), $"b-{Math.Abs(change.GetHashCode())}.json");
        string message = Refused(shards.First, bad);
        Assert.StartsWith($"{bad}: ", message);
        Assert.Contains($"'{field}", message);
        Assert.Contains(says, message);
        Assert.DoesNotContain('\n', message);
    }

    private static void Apply(JsonNode doc, string change)
    {
        JsonNode Cell(int i) => doc["matrix"]![i]!;
        switch (change)
        {
            case "delete seed": doc.AsObject().Remove("seed"); break;
            case "format=1": doc["format"] = 1; break;
            case "delete matrix[1].verdict": Cell(1).AsObject().Remove("verdict"); break;
            case "delete shard.cellNames": doc["shard"]!.AsObject().Remove("cellNames"); break;
            case "delete emulator[0].forms": doc["emulator"]![0]!.AsObject().Remove("forms"); break;
            case "runsPerCell=\"x\"": doc["runsPerCell"] = "x"; break;
            case "seed=-1": doc["seed"] = -1; break;
            case "matrix[0].agrees=1": Cell(0)["agrees"] = 1; break;
            case "matrix[0].verdict=\"maybe\"": Cell(0)["verdict"] = "maybe"; break;
            case "matrix[0].agrees=false": Cell(0)["agrees"] = false; break;
            case "matrix=null": doc["matrix"] = null; break;
            case "seed=6": doc["seed"] = 6; break;
            case "runsPerCell=6": doc["runsPerCell"] = 6; break;
            case "maxCpus=3": doc["maxCpus"] = 3; break;
            case "strategy=\"pct\"": doc["strategy"] = "pct"; break;
            case "shard.count=3": doc["shard"]!["count"] = 3; break;
            case "shard.index=7": doc["shard"]!["index"] = 7; break;
            case "duplicate matrix[0] over matrix[1]": doc["matrix"]![1] = Cell(0).DeepClone(); break;
            case "rename matrix[0].patcher": Cell(0)["patcher"] = "naive-text-poke-v2"; break;
            case "delete matrix[1]": doc["matrix"]!.AsArray().RemoveAt(1); break;
            case "rename emulator[0].family": doc["emulator"]![0]!["family"] = "no-such-family"; break;
            case "tamper matrix[0].replay":
                string token = Cell(0)["replay"]!.GetValue<string>();
                Cell(0)["replay"] = token.Replace(":4:", ":3:", StringComparison.Ordinal);
                break;
            default: throw new ArgumentException(change);
        }
    }

    [Fact]
    public void Shards_of_another_run_are_refused()
    {
        string message = Refused(shards.First, shards.OtherRun);
        Assert.StartsWith($"{shards.OtherRun}: field 'shard.cellNames[0]' is spin-in-bp/atomic, but {shards.First}'s is naive-text-poke/atomic", message);
        Assert.EndsWith("shards of different runs", message);
    }

    [Fact]
    public void A_shard_missing_or_given_twice_is_refused()
    {
        Assert.StartsWith("missing shard(s) 2/2: the files given hold shard.index 1 (", Refused(shards.First));
        Assert.Equal($"{shards.First}: field 'shard.index' is 1, as in {shards.First}: shard 1/2 given twice", Refused(shards.First, shards.Second, shards.First));
    }

    [Fact]
    public void A_file_that_is_no_shard_is_refused()
    {
        Assert.Equal($"{shards.Directory}: is a directory, not a shard's JSON file (check --shard I/N --json FILE)", Refused(shards.Directory));
        Assert.Equal("/no/such/shard.json: no such file", Refused("/no/such/shard.json"));
        string text = Path.Combine(shards.Directory, "not.json");
        File.WriteAllText(text, "seed: 5\n");
        Assert.StartsWith($"{text}: not JSON (line 1, ", Refused(text));
        string whole = Changed(shards.First, doc => doc.AsObject().Remove("shard"), "whole.json");
        Assert.Equal($"{whole}: field 'shard' is missing: not a shard (it was not written by check --shard I/N)", Refused(whole));
    }

    [Fact]
    public void Through_the_command_line_each_is_one_line_and_exit_code_2()
    {
        string bad = Changed(shards.Second, doc => doc["matrix"]![0]!.AsObject().Remove("casesChecked"), "no-cases.json");
        foreach (var args in new[] { new[] { "merge", shards.First, bad }, ["merge", shards.Directory], ["merge", shards.First, shards.OtherRun] })
        {
            var (exit, output, error) = CliProcess.Run(args);
            Assert.Equal(2, exit);
            Assert.Single(error.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", error);
            Assert.Equal("", output);
        }
    }
}
