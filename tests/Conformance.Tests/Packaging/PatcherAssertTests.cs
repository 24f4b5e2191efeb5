using Conformance.Generators.Campaigns;
using Conformance.Patching.Catalog;
using Conformance.Testing;
using Conformance.Tests.Patching.Mutants;

namespace Conformance.Tests.Packaging;

/// <summary>The one-line assertions a user's tests call (issue 13, item 3): they can fail, and say how to replay.</summary>
public class PatcherAssertTests
{
    private static readonly PatcherCampaign Small = new(Runs: 30, FailRuns: 1500);

    [Fact]
    public void A_broken_patcher_fails_with_the_shrunk_case_the_token_and_the_timeline()
    {
        var e = Assert.Throws<PatcherAssertException>(() => PatcherAssert.Conforms<TextPokeBpWithoutSync2>(Small, "block16"));
        Assert.Contains("mutant-text-poke-bp-no-sync2: 1 of 1 cells have a counterexample", e.Message);
        Assert.Contains("Shrunk case: ", e.Message);
        Assert.Contains("Replay just this case: CONFORMANCE_REPLAY=cf2:mutant-text-poke-bp-no-sync2:block16:", e.Message);
        Assert.Contains("dotnet test --filter-method '*A_broken_patcher_fails_with_the_shrunk_case_the_token_and_the_timeline'", e.Message);
        Assert.Contains($"--plugin {typeof(TextPokeBpWithoutSync2).Assembly.Location}", e.Message);
        Assert.Contains("Why this violates P1-old-new-or-trap", e.Message);
    }

    [Fact]
    public void A_correct_patcher_conforms_and_a_broken_one_is_caught()
    {
        PatcherAssert.Conforms<TextPokeBp>(Small, "atomic", "block16");
        var found = PatcherAssert.Caught<TextPokeBpWithoutSync2>(Small);   // every model it declares a failure in
        Assert.Equal(4, found.Count);
    }

    [Fact]
    public void Caught_fails_when_nothing_is_found()
    {
        // The mutant is correct under atomic fetch: asking for a counterexample there must go red.
        var e = Assert.Throws<PatcherAssertException>(() => PatcherAssert.Caught<TextPokeBpWithoutSync2>(Small with { FailRuns = 200 }, "atomic"));
        Assert.Contains("no counterexample found under mutant-text-poke-bp-no-sync2 under atomic in 200 cases", e.Message);
    }

    [Theory]
    [InlineData("garbage", "is not a replay token")]
    [InlineData("1,2,3", "FsCheck's seed,gamma,size triple is for a [Property] test's Replay")]
    [InlineData("cf2:x:atomic:-:4:1:2", "CONFORMANCE_REPLAY: ")]
    [InlineData("cf1:naive-text-poke:atomic:-:4:1:3:1", "from an earlier version of the suite")]
    public void A_malformed_replay_is_an_error_not_ignored(string replay, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => PatcherCampaign.FromValues(new PatcherCampaign(), null, null, replay));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Runs_and_seed_come_from_the_environment_and_a_bad_one_is_named()
    {
        var c = PatcherCampaign.FromValues(new PatcherCampaign(), "7", "42,99", null);
        Assert.Equal((7, 42UL), (c.Runs, c.Seed));
        Assert.Contains("CONFORMANCE_RUNS='x'", Assert.Throws<ArgumentException>(() => PatcherCampaign.FromValues(new PatcherCampaign(), "x", null, null)).Message);
        Assert.Contains("CONFORMANCE_SEED='-1'", Assert.Throws<ArgumentException>(() => PatcherCampaign.FromValues(new PatcherCampaign(), null, "-1", null)).Message);
    }

    [Fact]
    public void A_token_for_another_cell_says_which_test_to_run()
    {
        var token = new ReplayToken("naive-text-poke", "atomic", false, 4, 1, 3, 1);
        var e = Assert.Throws<PatcherAssertException>(() => PatcherAssert.Conforms<TextPokeBp>(Small with { Replay = token }, "atomic"));
        Assert.Contains("names naive-text-poke under atomic; this assertion checks text-poke-bp", e.Message);
    }
}
