using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// With no preemption bound the visited set prunes a state seen before whatever budgets either visit
/// had, and leaves the running CPU out of the key (spec/exhaustive.md, "Visited states"). That must
/// lose no outcome: compared with an exploration without any hashing whose preemption bound is
/// large enough that no execution reaches it (so it ran every schedule), the unbounded one finds the
/// same verdict, the same fetches of site bytes and the same violated properties, on schemes that
/// pass and on mutants that fail only in some interleavings (the no-sync-#2 mutant needs two
/// preemptions). It goes red if the pruning merged states whose futures differ.
/// </summary>
public class UnboundedPruningTests
{
    private static (ExhaustiveOutcome Outcome, string[] Fetches, string[] Properties, ExhaustiveResult Result) Seen(Func<IPatcher> create, IFetchModel model, ExhaustiveBound bound)
    {
        var fetches = new HashSet<string>();
        var properties = new HashSet<string>();
        var scenario = ExhaustiveScenario.For(create(), 2, 1, out string? declined, tasks: 1, patches: 1) ?? throw new InvalidOperationException(declined);
        var result = ExhaustiveExplorer.Explore(create, model, scenario.Case, bound, stopAtFirst: false, observe: (d, r) =>
        {
            foreach (var f in d.SiteFetches) fetches.Add($"cpu{f.Cpu} 0x{f.Rip:x} {Forms.Hex(f.Bytes)}");
            foreach (var v in r.Violations) properties.Add(v.Property);
        });
        return (result.Outcome, fetches.Order(StringComparer.Ordinal).ToArray(), properties.Order(StringComparer.Ordinal).ToArray(), result);
    }

    [Theory]
    [InlineData("text-poke-bp", "block64", ExhaustiveOutcome.Verified)]
    [InlineData("naive-text-poke", "block16", ExhaustiveOutcome.Counterexample)]
    [InlineData("mutant-text-poke-bp-no-sync2", "block64", ExhaustiveOutcome.Counterexample)]
    [InlineData("mutant-text-poke-bp-no-sync2", "atomic", ExhaustiveOutcome.Verified)]
    [InlineData("mutant-text-poke-bp-no-sync1", "block32", ExhaustiveOutcome.Counterexample)]
    public void Unbounded_pruning_loses_no_outcome_against_every_schedule_without_hashing(string patcher, string modelName, ExhaustiveOutcome expected)
    {
        Func<IPatcher> create = patcher switch
        {
            "text-poke-bp" => () => new TextPokeBp(),
            "naive-text-poke" => () => new NaiveTextPoke(),
            "mutant-text-poke-bp-no-sync1" => () => new TextPokeBpWithoutSync1(),
            _ => () => new TextPokeBpWithoutSync2(),
        };
        var model = FetchModelRegistry.Get(modelName);
        // Every schedule without hashing: the largest bound, which no execution of these small scenarios reaches (checked).
        const int K = ExhaustiveBound.MaxPreemptions;
        var plain = Seen(create, model, new ExhaustiveBound(K, Iterations: 1) { Hashing = false });
        var unbounded = Seen(create, model, new ExhaustiveBound(ExhaustiveBound.Unbounded, Iterations: 1));
        Assert.Equal(0, unbounded.Result.BudgetHits);
        Assert.Equal(expected, plain.Outcome);
        Assert.Equal(plain.Outcome, unbounded.Outcome);
        if (plain.Result.ByPreemptions[K] == 0)
        {
            // No execution needed K preemptions: the reference ran every schedule, so the two must agree exactly.
            Assert.Equal(plain.Fetches, unbounded.Fetches);
            Assert.Equal(plain.Properties, unbounded.Properties);
        }
        else
        {
            // text-poke-bp's retry loop makes a few executions with K switches: the reference is within K, a subset.
            Assert.Subset(unbounded.Fetches.ToHashSet(), plain.Fetches.ToHashSet());
            Assert.Subset(unbounded.Properties.ToHashSet(), plain.Properties.ToHashSet());
        }
        Assert.True(unbounded.Result.Executions < plain.Result.Executions, $"{unbounded.Result.Executions} executions unbounded with hashing, {plain.Result.Executions} without");
    }
}
