using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// Sites run under a spinlock taken with IRQs off (<c>check --exhaustive --irqs spinlock</c>,
/// spec/exhaustive.md): the lock code's steps are visible (the lock word is shared), a waiter on the
/// lock yields at its <c>pause</c>, and the reduction keeps every outcome.
/// </summary>
public class SpinlockedSiteTests
{
    private static ExhaustiveScenario Scenario(IPatcher patcher, int cpus) =>
        ExhaustiveScenario.For(patcher, cpus, 1, out string? declined, spinlock: true) ?? throw new InvalidOperationException(declined);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]   // two readers contend for the lock: the waiter spins on pause and yields
    public void Text_poke_bp_is_verified_with_spinlocked_sites(int cpus)
    {
        var scenario = Scenario(new TextPokeBp(), cpus);
        Assert.True(scenario.Spinlock && scenario.InterruptsOff);
        var r = scenario.Explore(() => new TextPokeBp(), new AtomicFetch(), new ExhaustiveBound(1, 1));
        Assert.True(r.Outcome == ExhaustiveOutcome.Verified, r.Summary);
        Assert.Equal(0, r.BudgetHits);
    }

    [Fact]
    public void Spin_in_bp_deadlocks_under_a_spinlock()
    {
        var r = Scenario(new SpinInBp(), 2).Explore(() => new SpinInBp(), new AtomicFetch(), new ExhaustiveBound(1, 1));
        Assert.True(r.Outcome == ExhaustiveOutcome.Counterexample, r.Summary);
        Assert.Equal(PatchCheck.Liveness, r.Counterexample!.Result.First!.Property);
        // The token names the spinlock, so a replay rebuilds the same scenario.
        var token = new ExhaustiveToken("spin-in-bp", "atomic", 2, 1, true, r.Counterexample.Case.Schedule) { Spinlock = true };
        Assert.True(ExhaustiveToken.Parse(token.ToString()).Spinlock);
        Assert.Contains(":spinlock:", token.ToString());
    }

    [Theory]
    [InlineData("text-poke-bp")]
    [InlineData("naive-text-poke")]
    public void The_reduction_loses_no_outcome_with_spinlocked_sites(string name)
    {
        Func<IPatcher> create = name == "naive-text-poke" ? () => new NaiveTextPoke() : () => new TextPokeBp();
        var scenario = Scenario(create(), 2);
        string[] Seen(bool reduce)
        {
            var seen = new SortedSet<string>(StringComparer.Ordinal);
            scenario.Explore(create, new Block16Fetch(), new ExhaustiveBound(1, 1) { Hashing = false, Reduce = reduce }, stopAtFirst: false, observe: (d, r) =>
                seen.Add(string.Join(" | ", d.SiteFetches.Select(f => $"cpu{f.Cpu} {Forms.Hex(f.Bytes)}")) + " => " +
                         string.Join(",", r.Violations.Select(v => v.Property).Distinct().Order(StringComparer.Ordinal))));
            return seen.ToArray();
        }
        Assert.Equal(Seen(reduce: false), Seen(reduce: true));
    }
}
