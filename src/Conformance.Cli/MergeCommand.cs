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
            var merged = Merge(parse.GetValue(files)!.Select(f => f.ToString()).ToArray());
            CheckCommand.Print(merged, merged.Matrix.Select(c => c.Model).Distinct().ToArray());
            CheckCommand.WriteReports(merged, parse.GetValue(json), parse.GetValue(junit));
            return merged.ExitCode;
        });
        return command;
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
