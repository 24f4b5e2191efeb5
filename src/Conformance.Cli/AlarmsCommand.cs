using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>
/// <c>alarms</c>: the false-alarm campaign (spec/performance.md). Every cell history expects to pass,
/// searched at every largest CPU count (1 to 8 by default) with the cases split evenly: a failure is a
/// correct scheme accused. Prints, per CPU bound, the cells, cases, alarms, the longest stall of a
/// passing case against its liveness window, and the rate; then each alarm with its replay token.
/// Exit 0 with no alarm, 1 with any, 2 on bad usage. A campaign, not a test: `dotnet test` runs a slice.
/// </summary>
public static class AlarmsCommand
{
    public static Command Create()
    {
        var cases = new Option<int>("--cases") { Description = "Generated cases in all, split evenly over the cells and CPU bounds.", DefaultValueFactory = _ => 100_000 };
        var maxCpus = new Option<int[]>("--max-cpus") { Description = "A largest CPU count to search (1 to 8; repeatable; default every one)." };
        var patchers = new Option<string[]>("--patcher") { Description = "Only this patcher (repeatable)." };
        var models = new Option<string[]>("--model") { Description = "Only this fetch model (repeatable)." };
        var seed = new Option<string>("--seed") { Description = "Seed of the campaign (a non-negative whole number)." };
        var threads = new Option<int>("--threads") { Description = "Threads running cells at once (default: the processor count); the results do not depend on it.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var plugin = new Worker.PluginOptions();
        var json = new Option<FileInfo?>("--json") { Description = "Also write every cell's figures as JSON to this file." };
        var command = new Command("alarms", "Search every cell history expects to pass, at every CPU count, for a false alarm (a correct scheme accused).")
            { cases, maxCpus, patchers, models, seed, threads, json };
        plugin.AddTo(command);
        command.SetAction(parse =>
        {
            OutputPath.Check("--json", parse.GetValue(json));   // before the campaign
            var plugins = plugin.Read(parse);
            if (Worker.CommandRelay.Needed(plugins)) return Worker.CommandRelay.Run(plugins);   // plug-ins' code runs in a worker process
            int total = parse.GetValue(cases), n = parse.GetValue(threads);
            if (total < 1) throw new UsageException($"--cases {total}: must be at least 1");
            if (n < 1) throw new UsageException($"--threads {n}: must be at least 1");
            var bounds = parse.GetValue(maxCpus) is { Length: > 0 } given ? given.Distinct().Order().ToArray() : Enumerable.Range(1, 8).ToArray();
            if (bounds.Any(b => b is < 1 or > 8)) throw new UsageException($"--max-cpus {bounds.First(b => b is < 1 or > 8)}: must be 1 to 8");
            ulong s = PropertySettings.DefaultSeed;
            if (parse.GetValue(seed) is { } text && !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out s))
                throw new UsageException($"--seed: '{text}' is not a whole number from 0 to {ulong.MaxValue}");
            var catalog = Plugins.Catalog(plugins);
            var chosen = parse.GetValue(patchers) is { Length: > 0 } names
                ? names.Select(x => catalog.FirstOrDefault(p => p.Name == x) ?? throw new UsageException($"--patcher {x}: unknown; known: {string.Join(", ", catalog.Select(p => p.Name))}")).ToArray()
                : catalog.ToArray();
            var fetch = parse.GetValue(models) is { Length: > 0 } ms
                ? ms.Select(x => FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == x) ?? throw new UsageException($"--model {x}: unknown; known: {string.Join(", ", FetchModelRegistry.BuiltIn.Select(m => m.Name))}")).ToArray()
                : FetchModelRegistry.BuiltIn.ToArray();
            var cells = FalseAlarmCampaign.ExpectedToPass(chosen, fetch);
            if (cells.Count == 0) throw new UsageException("no cell of the chosen patchers and models is expected to pass: nothing to search for false alarms");
            var units = (from k in bounds from c in cells select (c.Patcher, c.Model, c.Nmi, MaxCpus: k)).ToArray();
            int runs = (int)Math.Ceiling((double)total / units.Length);
            Console.Error.WriteLine($"alarms: {cells.Count} cell(s) expected to pass x {bounds.Length} CPU bound(s), {runs:N0} cases each");
            int finished = 0;
            var clock = Stopwatch.StartNew();   // for the printed rate only: nothing the campaign decides reads it
            var results = CampaignParallel.Map(units, n, u => FalseAlarmCampaign.Run(u.Patcher, u.Model, u.Nmi, u.MaxCpus, runs, s),
                i => { int done = Interlocked.Increment(ref finished); if (done % Math.Max(1, units.Length / 20) == 0) Console.Error.WriteLine($"alarms: {done}/{units.Length} cells"); });
            double seconds = clock.Elapsed.TotalSeconds;
            Print(results, seconds, s);
            if (parse.GetValue(json) is { } file)
                OutputPath.Write("--json", file, JsonSerializer.Serialize(new
                {
                    seed = s,
                    casesPerCell = runs,
                    cells = results.Select(r => new
                    {
                        patcher = r.Patcher, model = r.Model, nmi = r.Nmi, maxCpus = r.MaxCpus, cases = r.Cases, longestStall = r.LongestStall,
                        stallShare = Math.Round(r.StallShare, 4), alarm = r.Alarm?.Shrunk?.First?.ToString(), replay = r.Alarm?.Token?.ToString(),
                    }),
                }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return results.Any(r => r.Alarm is not null) ? Cli.Failed : Cli.Ok;
        });
        return command;
    }

    private static void Print(IReadOnlyList<AlarmCell> results, double seconds, ulong seed)
    {
        Console.WriteLine($"False alarms (seed {seed}): every cell history expects to pass, by the largest CPU count a case may have");
        Console.WriteLine();
        var table = new TextTable("max CPUs", "cells", "cases", "alarms", "longest stall (steps)", "of its window");
        foreach (var g in results.GroupBy(r => r.MaxCpus).OrderBy(g => g.Key))
            table.Add(g.Key.ToString(CultureInfo.InvariantCulture), g.Count().ToString(CultureInfo.InvariantCulture), g.Sum(r => (long)r.Cases).ToString("N0", CultureInfo.InvariantCulture),
                g.Count(r => r.Alarm is not null).ToString(CultureInfo.InvariantCulture), g.Max(r => r.LongestStall).ToString("N0", CultureInfo.InvariantCulture),
                g.Max(r => r.StallShare).ToString("P1", CultureInfo.InvariantCulture));
        long cases = results.Sum(r => (long)r.Cases);
        table.Add("all", results.Count.ToString(CultureInfo.InvariantCulture), cases.ToString("N0", CultureInfo.InvariantCulture),
            results.Count(r => r.Alarm is not null).ToString(CultureInfo.InvariantCulture), results.Max(r => r.LongestStall).ToString("N0", CultureInfo.InvariantCulture),
            results.Max(r => r.StallShare).ToString("P1", CultureInfo.InvariantCulture));
        Console.Write(table);
        Console.WriteLine();
        Console.WriteLine($"{cases:N0} cases in {seconds:N0} s ({cases / Math.Max(seconds, 1e-9):N0} cases/s, wall clock).");
        foreach (var r in results.Where(r => r.Alarm is not null))
            Console.WriteLine($"ALARM {r.Patcher} / {r.Model}{(r.Nmi ? " (NMI)" : "")} / max {r.MaxCpus} CPUs: {r.Alarm!.Shrunk?.First} | {TokenLines.Replay(r.Alarm.Token!.ToString())}");
        Console.WriteLine(results.Any(r => r.Alarm is not null)
            ? $"{results.Count(r => r.Alarm is not null)} alarm(s): a correct scheme accused, or history wrong; replay each token."
            : "No false alarm.");
    }
}
