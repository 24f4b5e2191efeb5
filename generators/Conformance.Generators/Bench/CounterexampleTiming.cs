using System.Diagnostics;
using Conformance.Generators.Campaigns;

namespace Conformance.Generators.Bench;

/// <summary>One search of one row with one strategy and one seed: how long to the first failing case and to the shrunk counterexample.</summary>
/// <param name="Seed">The seed of the search (the run seed <c>check --seed</c> takes).</param>
/// <param name="Found">Whether a counterexample was found within the cap.</param>
/// <param name="Cases">Generated cases checked up to and including the first failing one (the cap when none failed).</param>
/// <param name="FirstMs">Wall time from the start of the search to the end of the first failing case.</param>
/// <param name="ShrinkMs">Wall time from then until the shrunk, traced counterexample was returned.</param>
/// <param name="FirstCpuMs">As <paramref name="FirstMs"/>, in this thread's CPU time (<see cref="ThreadCpuClock"/>; null where unavailable).</param>
/// <param name="ShrinkCpuMs">As <paramref name="ShrinkMs"/>, in this thread's CPU time.</param>
public sealed record SearchTiming(ulong Seed, bool Found, int Cases, double FirstMs, double ShrinkMs, double? FirstCpuMs, double? ShrinkCpuMs);

/// <summary>A row's searches with one strategy, summarized by medians (null when the median search found nothing).</summary>
public sealed record StrategyTiming(string Strategy, IReadOnlyList<SearchTiming> Searches)
{
    public int Found => Searches.Count(s => s.Found);
    public double? MedianFirstMs => Median(Searches.Select(s => s.Found ? s.FirstMs : double.PositiveInfinity));
    public double? MedianShrinkMs => Median(Searches.Select(s => s.Found ? s.ShrinkMs : double.PositiveInfinity));
    public double? MedianCases => Median(Searches.Select(s => s.Found ? s.Cases : double.PositiveInfinity));
    public double? MedianFirstCpuMs => Searches.Any(s => s.FirstCpuMs is null) ? null : Median(Searches.Select(s => s.Found ? s.FirstCpuMs!.Value : double.PositiveInfinity));
    public double? MedianShrinkCpuMs => Searches.Any(s => s.ShrinkCpuMs is null) ? null : Median(Searches.Select(s => s.Found ? s.ShrinkCpuMs!.Value : double.PositiveInfinity));

    /// <summary>The median (the mean of the middle two for an even count); null when it falls on a search that found nothing.</summary>
    public static double? Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return null;
        double m = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        return double.IsInfinity(m) ? null : m;
    }
}

/// <summary>One known-bad row: its searches under every strategy compared.</summary>
public sealed record RowTiming(string Row, IReadOnlyList<StrategyTiming> Strategies);

/// <summary>
/// Time to the first counterexample: for a known-bad row (<see cref="KnownBadRows"/>), the matrix
/// cell's search (<see cref="MatrixCampaign.RunCell"/>, up to <c>cap</c> generated cases, the
/// counterexample shrunk and traced as <c>check</c> does) under each seed and each strategy. The same
/// seed gives both strategies the same scenarios but for the schedule. One thread; wall time and
/// that thread's CPU time.
/// </summary>
public static class CounterexampleTiming
{
    public static SearchTiming Search(KnownBadRow row, ScheduleSearch search, ulong seed, int cap)
    {
        int cases = 0, casesToFirst = 0;
        double firstMs = -1;
        double? firstCpu = null, cpu0 = ThreadCpuClock.NowMs();
        var clock = Stopwatch.StartNew();
        var cell = MatrixCampaign.RunCell(row.Patcher, row.Model, row.Nmi, cap, seed, failRuns: cap, search: search, afterCase: result =>
        {
            cases++;
            if (result.Passed || firstMs >= 0) return;
            firstMs = clock.Elapsed.TotalMilliseconds;
            firstCpu = ThreadCpuClock.NowMs() - cpu0;
            casesToFirst = cases;
        });
        double total = clock.Elapsed.TotalMilliseconds;
        double? totalCpu = ThreadCpuClock.NowMs() - cpu0;
        if (cell.Passed) return new SearchTiming(seed, false, cell.Runs, total, 0, totalCpu, 0);
        return new SearchTiming(seed, true, casesToFirst, firstMs, total - firstMs, firstCpu, totalCpu - firstCpu);
    }

    /// <summary>Every strategy's searches of one row under seeds 1..<paramref name="seeds"/>.</summary>
    public static RowTiming Row(KnownBadRow row, IReadOnlyList<ScheduleSearch> strategies, int seeds, int cap) =>
        new(row.Name, strategies.Select(s => new StrategyTiming(s.Name,
            Enumerable.Range(1, seeds).Select(k => Search(row, s, (ulong)k, cap)).ToArray())).ToArray());
}
