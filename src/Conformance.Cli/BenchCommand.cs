using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conformance.Generators.Bench;

namespace Conformance.Cli;

/// <summary>
/// <c>bench</c>: how fast the suite is on this machine. Emulated instructions per second, machine
/// runs per second, generated scenarios checked per second, and for every known-bad row the median
/// time to the first counterexample and to its shrunk form under each schedule strategy. A table,
/// and <c>--json</c>. Run it on a quiet machine, from a Release build.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "Seeds per known-bad row and strategy (the medians are over these).", DefaultValueFactory = _ => 20 };
        var cap = new Option<int>("--cap") { Description = "Most generated cases one search may check before it counts as not found.", DefaultValueFactory = _ => 3000 };
        var rows = new Option<string[]>("--row") { Description = "Only this known-bad row (a patcher name; repeatable)." };
        var quick = new Option<bool>("--quick") { Description = "Short rounds for the rates: a smoke run, not figures to quote." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the figures as JSON to this file." };
        var minimal = new Option<bool>("--minimal") { Description = "Instead: every known-bad row's minimized counterexample (fixed seed) against the exhaustive explorer's smallest (spec/performance.md)." };
        var command = new Command("bench", "Measure the suite's speed on this machine: emulator, machine runs, scenarios, time to each known bug.")
            { seeds, cap, rows, quick, json, minimal };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(seeds), max = parse.GetValue(cap);
            OutputPath.Check("--json", parse.GetValue(json));
            if (n < 1) throw new UsageException($"--seeds {n}: must be at least 1");
            if (max < 1) throw new UsageException($"--cap {max}: must be at least 1");
            if (parse.GetValue(minimal))
            {
                if (parse.GetValue(json) is not null || parse.GetValue(quick) || parse.GetResult(seeds) is { Implicit: false })
                    throw new UsageException("--minimal takes only --cap and --row");
                return MinimalTable.Print(parse.GetValue(rows), max);
            }
            var options = new BenchOptions(n, max, parse.GetValue(rows), parse.GetValue(quick));
            BenchReport report;
            try { report = BenchSuite.Run(options, Conformance.Patching.PatcherRegistry.BuiltIn, what => Console.Error.WriteLine($"bench: {what}")); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            Print(report);
            if (parse.GetValue(json) is { } file)
                OutputPath.Write("--json", file, ReportHeader.With(ReportHeader.BenchFormat, "bench", new { seeds = n, cap = max, rows = parse.GetValue(rows) ?? [], quick = parse.GetValue(quick) },
                    JsonSerializer.SerializeToNode(report, Options)!.AsObject(), Options).ToJsonString(Options) + "\n");
            return Cli.Ok;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static string F(double? v, string format = "N0") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>Prints the figures as two Markdown tables (they paste into an issue or spec/performance.md as they are).</summary>
    public static void Print(BenchReport r)
    {
        var m = r.Machine;
        Console.WriteLine($"Machine: {m.Processors} processors, {m.Cpu}, {m.Memory} memory, {m.Runtime}, {m.Os}; load average {F(m.LoadAverage, "N2")} at the end");
        Console.WriteLine();
        Console.WriteLine("Throughput (Stopwatch, one thread unless said; median and best of the rounds by wall clock, median by this process's CPU time):");
        Console.WriteLine();
        var rates = new TextTable("what", "median /s", "best /s", "CPU-time median /s", "rounds");
        foreach (var x in r.Rates)
            rates.Add($"{x.What} ({x.Unit})", F(x.MedianPerSecond), F(x.BestPerSecond), F(x.CpuMedianPerSecond),
                $"{x.Rounds} x {x.UnitsPerRound.ToString("N0", CultureInfo.InvariantCulture)}");
        Console.Write(rates);
        if (r.Rows.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($"Time to the first counterexample (first) and from it to the shrunk counterexample (shrink), in ms of the searching thread's CPU time, " +
                          $"the first also by wall clock, and generated cases to the first; medians over {r.Seeds} seed(s), up to {r.Cap:N0} cases per search:");
        Console.WriteLine();
        var names = r.Rows[0].Strategies.Select(s => s.Strategy).ToArray();
        var table = new TextTable(["known-bad row", .. names.SelectMany(n => new[] { $"{n} found", $"{n} cases", $"{n} first", $"{n} shrink", $"{n} first wall" }), "faster (first)"]);
        foreach (var row in r.Rows)
            table.Add([row.Row, .. row.Strategies.SelectMany(s => new[] { $"{s.Found}/{s.Searches.Count}", F(s.MedianCases, "N1"), F(s.MedianFirstCpuMs, "N1"),
                F(s.MedianShrinkCpuMs, "N1"), F(s.MedianFirstMs, "N1") }), Faster(row)]);
        Console.Write(table);
    }

    /// <summary>
    /// Which strategy has the smaller median time to the first counterexample, by CPU time where it was
    /// measured (else wall clock), and by how much; a median that found nothing loses.
    /// </summary>
    public static string Faster(RowTiming row)
    {
        bool cpu = row.Strategies.All(s => s.Searches.All(x => x.FirstCpuMs is not null));
        double? First(StrategyTiming s) => cpu ? s.MedianFirstCpuMs : s.MedianFirstMs;
        var ranked = row.Strategies.OrderBy(s => First(s) ?? double.PositiveInfinity).ToArray();
        if (ranked.Length < 2) return "";
        var (best, next) = (ranked[0], ranked[1]);
        if (First(best) is not { } b) return "neither";
        if (First(next) is not { } n) return $"{best.Strategy} (only)";
        return $"{best.Strategy} x{n / Math.Max(1e-9, b):N1}";
    }
}
