using System.Diagnostics;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Generators.Bench;

/// <summary>A rate measured in rounds: the median and best of the rounds, by wall clock and by this process's CPU time.</summary>
public sealed record Rate(string What, string Unit, double MedianPerSecond, double BestPerSecond, double CpuMedianPerSecond, int Rounds, double UnitsPerRound);

/// <summary>Where the figures were measured.</summary>
public sealed record BenchMachine(int Processors, string Cpu, string Memory, string Runtime, string Os, double LoadAverage);

/// <summary>Everything <c>bench</c> measured.</summary>
public sealed record BenchReport(BenchMachine Machine, IReadOnlyList<Rate> Rates, int Seeds, int Cap, IReadOnlyList<RowTiming> Rows);

/// <summary>What to measure and how long.</summary>
/// <param name="Seeds">Seeds per known-bad row and strategy.</param>
/// <param name="Cap">Most generated cases one search may check.</param>
/// <param name="Rows">Only these patchers' rows (all known-bad rows when empty).</param>
/// <param name="Quick">Fewer and shorter rounds for the rates (a smoke run, not a measurement to quote).</param>
public sealed record BenchOptions(int Seeds = 20, int Cap = 3000, IReadOnlyList<string>? Rows = null, bool Quick = false);

/// <summary>
/// The measurements behind <c>bench</c>, timed with a <see cref="Stopwatch"/> (BenchmarkDotNet runs the
/// same workloads more rigorously: src/Conformance.Benchmarks). Rates: emulated instructions per second
/// (<see cref="ThroughputLoop"/>), machine runs per second (<see cref="MachineRunWorkload"/>), generated
/// scenarios checked per second end to end (the matrix campaign over the cells expected to pass, on one
/// thread and on every processor). Then the time to a counterexample of every known-bad row
/// (<see cref="CounterexampleTiming"/>) under each schedule strategy.
/// </summary>
public static class BenchSuite
{
    public static BenchReport Run(BenchOptions options, IReadOnlyList<PatcherInfo> catalog, Action<string>? progress = null)
    {
        var rows = KnownBadRows.Of(catalog);
        if (options.Rows is { Count: > 0 } only)
        {
            foreach (var name in only)
                if (rows.All(r => r.Patcher.Name != name))
                    throw new ArgumentException($"--row {name}: not a known-bad row; known-bad: {string.Join(", ", rows.Select(r => r.Patcher.Name))}");
            rows = rows.Where(r => only.Contains(r.Patcher.Name)).ToArray();
        }
        var rates = new List<Rate>();
        progress?.Invoke("emulated instructions per second");
        rates.Add(Instructions(options.Quick));
        progress?.Invoke("machine runs per second");
        rates.Add(MachineRuns(options.Quick));
        rates.Add(MachineRuns(options.Quick, fresh: true));
        progress?.Invoke("scenarios checked per second, one thread");
        rates.Add(Scenarios(catalog, options.Quick, threads: 1));
        if (Environment.ProcessorCount > 1)
        {
            progress?.Invoke($"scenarios checked per second, {Environment.ProcessorCount} threads");
            rates.Add(Scenarios(catalog, options.Quick, Environment.ProcessorCount));
        }

        var strategies = ScheduleSearch.All;
        // Warm up the JIT on the paths the searches take, so the first row's figures are not its compile time.
        foreach (var s in strategies) CounterexampleTiming.Search(rows[0], s, 0, Math.Min(options.Cap, 200));
        var timings = new List<RowTiming>();
        foreach (var row in rows)
        {
            progress?.Invoke($"time to a counterexample: {row.Name}");
            timings.Add(CounterexampleTiming.Row(row, strategies, options.Seeds, options.Cap));
        }
        return new BenchReport(Describe(), rates, options.Seeds, options.Cap, timings);
    }

    /// <summary>Runs <paramref name="round"/> (which returns the units it did) several times; the rates of the rounds.</summary>
    private static Rate Measure(string what, string unit, int rounds, Func<double> round)
    {
        round();   // warm-up: tiered JIT reaches its optimized code
        var wall = new List<double>();
        var cpu = new List<double>();
        double units = 0;
        using var process = Process.GetCurrentProcess();
        for (int r = 0; r < rounds; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            units = round();
            double seconds = clock.Elapsed.TotalSeconds;
            process.Refresh();
            wall.Add(units / seconds);
            cpu.Add(units / Math.Max(1e-9, (process.TotalProcessorTime - cpu0).TotalSeconds));
        }
        wall.Sort();
        cpu.Sort();
        return new Rate(what, unit, wall[wall.Count / 2], wall[^1], cpu[cpu.Count / 2], rounds, units);
    }

    public static Rate Instructions(bool quick)
    {
        var cpu = ThroughputLoop.CreateCpu();
        int steps = quick ? 1_000_000 : 5_000_000;
        return Measure("emulated instructions", "instructions", quick ? 3 : 7, () => { ThroughputLoop.Run(cpu, steps); return steps; });
    }

    /// <summary>Machine runs of <see cref="MachineRunWorkload"/>: reset between runs (as the checks run a layout again), or built fresh for each.</summary>
    public static Rate MachineRuns(bool quick, bool fresh = false)
    {
        var schedules = MachineRunWorkload.Schedules(64);
        int runs = quick ? 200 : 2_000, next = 0;
        var reusable = new MachineRunWorkload.Reusable();
        return Measure($"machine runs ({MachineRunWorkload.Cpus} CPUs, {MachineRunWorkload.Steps:N0} steps, {(fresh ? "machine built for each" : "machine reset between runs")})",
            "runs", quick ? 3 : 5, () =>
            {
                for (int i = 0; i < runs; i++)
                {
                    var schedule = schedules[next++ % schedules.Length];
                    if (fresh) MachineRunWorkload.RunFresh(schedule);
                    else reusable.Run(schedule);
                }
                return runs;
            });
    }

    /// <summary>
    /// The matrix campaign (generate, realize, run, check every property) over every cell expected to
    /// pass, so no time goes to shrinking: cases per second. One round; cells on <paramref name="threads"/> threads.
    /// </summary>
    public static Rate Scenarios(IReadOnlyList<PatcherInfo> catalog, bool quick, int threads)
    {
        var cells = MatrixCampaign.Cells(catalog, FetchModelRegistry.BuiltIn)
            .Where(c => MatrixCampaign.CellExpectation(c.Patcher.Expectations, c.Model.Name, c.Nmi) == ExpectedVerdict.Pass)
            .ToArray();
        int runs = quick ? 5 : 60;
        return Measure($"generated scenarios checked end to end ({threads} thread{(threads > 1 ? "s" : "")})", "cases", quick ? 1 : 3, () =>
            CampaignParallel.Map(cells, threads, c => MatrixCampaign.RunCell(c.Patcher, c.Model, c.Nmi, runs, PropertySettings.DefaultSeed).Runs).Sum());
    }

    private static BenchMachine Describe()
    {
        static string? Line(string file, string key) =>
            File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;
        double load = double.TryParse(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "",
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double l) ? l : -1;
        return new BenchMachine(Environment.ProcessorCount, Line("/proc/cpuinfo", "model name") ?? "unknown",
            Line("/proc/meminfo", "MemTotal") ?? "unknown", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            System.Runtime.InteropServices.RuntimeInformation.OSDescription, load);
    }
}
