using System.CommandLine;
using Conformance.Generators.Campaigns;

namespace Conformance.Cli;

/// <summary>
/// <c>merge SHARD.json...</c>: joins the JSON of the shards of one <c>check</c> campaign
/// (<c>check --shard I/N --json</c>, one per machine of a CI matrix) into the document the
/// unsharded run writes, byte for byte, prints its table, and exits as that run would.
/// </summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("shards") { Description = "The JSON of every shard (check --shard I/N --json FILE), in any order.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<FileInfo?>("--json") { Description = "Write the merged JSON to this file (- for standard output; the table then goes to standard error)." };
        var junit = new Option<FileInfo?>("--junit") { Description = "Write the merged run as JUnit XML to this file (as check --junit)." };
        var command = new Command("merge", "Join the JSON of the shards of one check campaign into the whole run's JSON.") { files, json, junit };
        command.SetAction(parse =>
        {
            OutputPath.CheckAll(("--json", parse.GetValue(json)), ("--junit", parse.GetValue(junit)));
            var paths = parse.GetValue(files)!.Select(f => f.ToString()).ToArray();
            if (ExhaustiveShards(paths) is { } roots)
            {
                var document = ExhaustiveMerge.Merge(paths, roots);
                ExhaustiveMerge.Print(document);
                string text = document.ToJsonString(JsonOptions.Indented) + "\n";
                if (parse.GetValue(json) is { } j) OutputPath.Write("--json", j, text);
                if (parse.GetValue(junit) is { } x) OutputPath.Write("--junit", x, ExhaustiveJunit.Xml(System.Text.Json.JsonDocument.Parse(text).RootElement));
                return document["summary"]!["exitCode"]!.GetValue<int>();
            }
            var merged = Merge(paths);
            CheckCommand.Print(merged, merged.Matrix.Select(c => c.Model).Distinct().ToArray());
            CheckCommand.WriteReports(merged, parse.GetValue(json), parse.GetValue(junit));
            return merged.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// The shards' documents when they are of <c>check --exhaustive</c> (<see cref="ExhaustiveMerge"/>);
    /// null when they are of <c>check</c> (<see cref="ShardCheck"/> reads those, and says what is wrong
    /// with a file that is neither). A mix of the two kinds is a usage error naming both files.
    /// </summary>
    private static IReadOnlyList<System.Text.Json.JsonElement>? ExhaustiveShards(IReadOnlyList<string> paths)
    {
        var roots = paths.Select(p =>
        {
            try { return File.Exists(p) ? System.Text.Json.JsonDocument.Parse(File.ReadAllText(p)).RootElement : (System.Text.Json.JsonElement?)null; }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException) { return null; }
        }).ToArray();
        var exhaustive = Enumerable.Range(0, paths.Count).Where(i => roots[i] is { } r && ExhaustiveMerge.Is(r)).ToArray();
        if (exhaustive.Length == 0) return null;
        var other = Enumerable.Range(0, paths.Count).Where(i => !exhaustive.Contains(i)).ToArray();
        if (other.Length > 0)
        {
            ShardCheck.Read(paths[other[0]]);   // a file that cannot be read, or is not JSON, is named as such
            throw new UsageException($"{paths[other[0]]}: a check shard, but {paths[exhaustive[0]]} is of check --exhaustive: merge joins shards of one kind of run");
        }
        return roots.Select(r => r!.Value).ToArray();
    }

    /// <summary>The whole run from its shards; anything wrong with a shard (<see cref="ShardCheck"/>) is a usage error naming its file and the field.</summary>
    public static CheckReport Merge(IReadOnlyList<string> paths)
    {
        var reports = paths.Select(ShardCheck.Read).ToArray();
        var ordered = ShardCheck.OfOneRun(paths, reports);
        var first = ordered[0];
        // Each shard was checked to hold exactly its part, so the parts interleave into the whole run.
        var matrix = Shard.Interleave(ordered.Select(r => r.Matrix).ToArray());
        var emulator = Shard.Interleave(ordered.Select(r => r.Emulator).ToArray());
        return new CheckReport(first.Seed, first.RunsPerCell, first.MaxCpus, matrix, emulator) { Strategy = first.Strategy, Options = first.Options, Plugins = first.Plugins };
    }
}
