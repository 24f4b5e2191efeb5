using System.Reflection;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Matrix;

/// <summary>
/// The fixed small version of <c>check --mutants</c>: every mutant of <see cref="MutantRegistry"/> is
/// killed by the random search (fixed seed, small budget) under a model where it must show, by one of
/// the properties it declares; the registry lists every mutant of the library and none is in the catalog.
/// </summary>
public class MutantKillTests
{
    public static TheoryData<string> Mutants()
    {
        var data = new TheoryData<string>();
        foreach (var m in MutantRegistry.All.Where(m => m.RandomOutOfReach is null)) data.Add(m.Name);
        return data;
    }

    /// <summary>The mutants the generators cannot show (two sites in one fetch block): the exhaustive mode must kill them.</summary>
    public static TheoryData<string> ExhaustiveOnly()
    {
        var data = new TheoryData<string>();
        foreach (var m in MutantRegistry.All.Where(m => m.RandomOutOfReach is not null)) data.Add(m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(ExhaustiveOnly))]
    public void The_exhaustive_mode_kills_the_mutant_the_random_search_cannot_reach_in_every_model_where_it_must_show(string name)
    {
        var mutant = MutantRegistry.Get(name);
        Assert.NotEmpty(mutant.Models);
        var scenario = Conformance.Checking.Exhaustive.ExhaustiveScenario.For(mutant.Patcher.Create(), 2, mutant.ExhaustiveSites, out string? declined, adjacent: mutant.AdjacentSites);
        Assert.True(scenario is not null, declined);
        foreach (var model in mutant.Models)
        {
            var result = Conformance.Checking.Exhaustive.ExhaustiveExplorer.Explore(mutant.Patcher.Create, FetchModelRegistry.Get(model), scenario!.Case,
                new Conformance.Checking.Exhaustive.ExhaustiveBound(2, 2, 400, 20_000));
            Assert.True(result.Counterexample is not null, $"{name} under {model}: {result.Summary}");
            string property = result.Counterexample!.Result.First!.Property;
            Assert.True(mutant.Properties.Contains(property), $"{name} under {model}: killed by {property}, declared {string.Join(", ", mutant.Properties)}");
        }
    }

    /// <summary>The same patcher with its sites apart (the exhaustive default): one site per block, nothing lost, so the kill is the adjacency's.</summary>
    [Fact]
    public void The_block_snapshot_mutant_is_verified_when_its_sites_do_not_share_a_block()
    {
        var mutant = MutantRegistry.Get("mutant-atomic-8byte-block-snapshot");
        var scenario = Conformance.Checking.Exhaustive.ExhaustiveScenario.For(mutant.Patcher.Create(), 2, 2, out string? declined);
        Assert.True(scenario is not null, declined);
        var result = Conformance.Checking.Exhaustive.ExhaustiveExplorer.Explore(mutant.Patcher.Create, FetchModelRegistry.Get("block16"), scenario!.Case,
            new Conformance.Checking.Exhaustive.ExhaustiveBound(2, 2, 400, 20_000));
        Assert.True(result.Outcome == Conformance.Checking.Exhaustive.ExhaustiveOutcome.Verified, result.Summary);
    }

    [Theory]
    [MemberData(nameof(Mutants))]
    public void The_random_search_kills_the_mutant_under_a_model_where_it_must_show(string name)
    {
        var mutant = MutantRegistry.Get(name);
        Assert.NotEmpty(mutant.Models);
        // block16 first (every mutant shows there), then its other models: the first that kills it is enough.
        var order = mutant.Models.OrderBy(m => m == "block16" ? 0 : 1).ToArray();
        var found = new List<string>();
        foreach (var model in order)
        {
            var cell = MatrixCampaign.RunCell(mutant.Patcher, FetchModelRegistry.Get(model), false, 20, PropertySettings.DefaultSeed, failRuns: 500);
            if (cell.Passed) { found.Add($"{model}: survived {cell.Runs} cases"); continue; }
            Assert.True(mutant.Properties.Contains(cell.Property!), $"{name} under {model}: killed by {cell.Property}, declared {string.Join(", ", mutant.Properties)}: {cell.Shrunk?.First}");
            return;
        }
        Assert.Fail($"{name} survived every model where it must show: {string.Join("; ", found)}");
    }

    [Fact]
    public void Mutants_are_registered_with_their_scheme_and_source_and_kept_out_of_the_catalog()
    {
        var types = typeof(MutantRegistry).Assembly.GetTypes()
            .Where(t => t.Namespace == MutantRegistry.Namespace && t.IsPublic && !t.IsAbstract && typeof(IPatcher).IsAssignableFrom(t))
            .ToArray();
        Assert.Equal(types.OrderBy(t => t.FullName).ToArray(), MutantRegistry.All.Select(m => m.Patcher.Type).OrderBy(t => t.FullName).ToArray());
        Assert.Equal(MutantRegistry.All.Count, MutantRegistry.All.Select(m => m.Name).Distinct().Count());
        var catalog = PatcherRegistry.BuiltIn.Select(p => p.Name).ToArray();
        foreach (var m in MutantRegistry.All)
        {
            Assert.StartsWith("mutant-", m.Name);
            Assert.DoesNotContain(m.Name, catalog);
            Assert.Contains(m.Mutates, catalog);
            Assert.False(string.IsNullOrWhiteSpace(m.Patcher.Source));
            Assert.NotEmpty(m.Properties);
        }
        Assert.DoesNotContain(PatcherRegistry.BuiltIn, p => MutantRegistry.IsMutant(p.Type));
    }

    [Fact]
    public void A_mutant_must_be_killed_only_where_its_expectations_say_fail()
    {
        // no-sync1 passes under atomic (one fetch unit per instruction): it need not be killed there.
        var noSync1 = MutantRegistry.Get("mutant-text-poke-bp-no-sync1");
        Assert.DoesNotContain("atomic", noSync1.Models);
        Assert.Contains("block16", noSync1.Models);
        Assert.Equal(FetchModelRegistry.BuiltIn.Select(m => m.Name), MutantRegistry.Get("mutant-text-poke-bp-no-text-mutex").Models);
        Assert.Throws<ArgumentException>(() => MutantRegistry.Get("mutant-nothing"));
    }
}
