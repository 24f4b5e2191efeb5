using BenchmarkDotNet.Attributes;
using Conformance.Generators;
using Conformance.Generators.Bench;
using Conformance.Patching;

namespace Conformance.Benchmarks;

/// <summary>
/// Time to a shrunk counterexample of one known-bad row per schedule strategy, over a few fixed
/// seeds per invocation (<c>bench</c> reports every row, split into finding and shrinking, with
/// medians over 20 seeds).
/// </summary>
[MemoryDiagnoser]
public class FirstCounterexample
{
    public const int Seeds = 4;

    [Params("naive-text-poke", "text-poke-bp-pre2019", "stub-per-call-reused")]
    public string Row { get; set; } = "";

    [Params("uniform-random", "pct")]
    public string Strategy { get; set; } = "";

    private KnownBadRow _row = null!;
    private ScheduleSearch _search = null!;

    [GlobalSetup]
    public void Setup()
    {
        _row = KnownBadRows.Of(PatcherRegistry.BuiltIn).Single(r => r.Patcher.Name == Row);
        _search = ScheduleSearch.Get(Strategy);
    }

    [Benchmark(OperationsPerInvoke = Seeds, Description = "search and shrink, per seed")]
    public int Search()
    {
        int found = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
            if (CounterexampleTiming.Search(_row, _search, seed, cap: 3000).Found) found++;
        return found;
    }
}
