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
        var json = new Option<FileInfo?>("--json") { Description = "Write the merged JSON to this file." };
        var command = new Command("merge", "Join the JSON of the shards of one check campaign into the whole run's JSON.") { files, json };
        command.SetAction(parse =>
        {
            var merged = Merge(parse.GetValue(files)!.Select(f => f.FullName).ToArray());
            CheckCommand.Print(merged, merged.Matrix.Select(c => c.Model).Distinct().ToArray());
            if (parse.GetValue(json) is { } file) File.WriteAllText(file.FullName, merged.ToJson());
            return merged.Agrees ? Cli.Ok : Cli.Failed;
        });
        return command;
    }

    /// <summary>The whole run from its shards; shards of different runs, a missing or repeated shard, or a file that is no shard is a usage error.</summary>
    public static CheckReport Merge(IReadOnlyList<string> paths)
    {
        CheckReport[] reports;
        try { reports = paths.Select(CheckReport.Read).ToArray(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        for (int i = 0; i < reports.Length; i++)
            if (reports[i].Shard is null) throw new UsageException($"{paths[i]}: not a shard (it was not written by check --shard I/N)");
        var first = reports[0];
        int n = first.Shard!.Count;
        for (int i = 0; i < reports.Length; i++)
        {
            var r = reports[i];
            if (r.Seed != first.Seed || r.RunsPerCell != first.RunsPerCell || r.MaxCpus != first.MaxCpus || r.Strategy != first.Strategy ||
                r.Shard!.Count != n || r.Shard.Cells != first.Shard.Cells || r.Shard.Families != first.Shard.Families)
                throw new UsageException($"{paths[i]}: shard of another run than {paths[0]} (seed, runs, CPUs, strategy, shard count or campaign size differ)");
        }
        var byIndex = new CheckReport[n];
        for (int i = 0; i < reports.Length; i++)
        {
            int index = reports[i].Shard!.Index;
            if (index < 1 || index > n) throw new UsageException($"{paths[i]}: shard {index}/{n} is out of range");
            if (byIndex[index - 1] is not null) throw new UsageException($"{paths[i]}: shard {index}/{n} is given twice");
            byIndex[index - 1] = reports[i];
        }
        var missing = Enumerable.Range(1, n).Where(k => byIndex[k - 1] is null).ToArray();
        if (missing.Length > 0) throw new UsageException($"missing shard(s) {string.Join(", ", missing.Select(k => $"{k}/{n}"))}");
        try
        {
            var matrix = Shard.Interleave(byIndex.Select(r => r.Matrix).ToArray());
            var emulator = Shard.Interleave(byIndex.Select(r => r.Emulator).ToArray());
            if (matrix.Count != first.Shard.Cells || emulator.Count != first.Shard.Families)
                throw new ArgumentException($"the shards hold {matrix.Count} cells and {emulator.Count} families; the run has {first.Shard.Cells} and {first.Shard.Families}");
            return new CheckReport(first.Seed, first.RunsPerCell, first.MaxCpus, matrix, emulator) { Strategy = first.Strategy };
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
