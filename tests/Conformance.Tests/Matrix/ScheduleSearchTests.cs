using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Support;
using FsCheck.Fluent;

namespace Conformance.Tests.Matrix;

/// <summary>
/// A matrix cell searched with PCT: the cases are the default search's but for the schedule, a
/// failing run comes back as runs that shrink, and its replay token names the strategy and replays it.
/// </summary>
public class ScheduleSearchTests
{
    private const ulong Seed = PropertySettings.DefaultSeed;

    private static T Draw<T>(FsCheck.Gen<T> gen, ulong seed) => gen.Sample(40, new FsCheck.Rnd(seed, PropertySettings.DefaultGamma), 1)[0];

    [Fact]
    public void The_searches_are_the_default_and_every_adaptive_strategy()
    {
        Assert.Equal(ScheduleSearch.DefaultName, ScheduleSearch.All[0].Name);
        Assert.True(ScheduleSearch.All[0].IsDefault);
        Assert.Contains(ScheduleSearch.All, s => s.Name == "pct" && s.Strategy is PctStrategy);
        var e = Assert.Throws<ArgumentException>(() => ScheduleSearch.Get("nope"));
        Assert.Contains("uniform-random, pct", e.Message);
    }

    [Fact]
    public void A_pct_cell_finds_the_torn_decode_shrinks_it_to_runs_and_replays_from_its_token()
    {
        var pct = ScheduleSearch.Get("pct");
        var cell = MatrixCampaign.RunCell(PatcherRegistry.Get("naive-text-poke"), new AtomicFetch(), false, 120, Seed, failRuns: 3000, search: pct);
        Assert.False(cell.Passed);
        Assert.Equal("pct", cell.Strategy);
        Assert.Equal("P1-old-new-or-trap", cell.Property);
        Assert.Null(cell.ShrunkCase!.Exploration);                     // recorded as runs, then shrunk
        Assert.NotNull(((PatchCaseGenome)cell.Failure!.Original!).Explore);   // the case found was explored
        Assert.Equal("pct", ReplayToken.Parse(cell.Token!.ToString()).Strategy);
        Assert.Contains(":pct:", cell.Token.ToString());   // written out, before the checksum
        var again = MatrixCampaign.Replay(ReplayToken.Parse(cell.Token.ToString()), PatcherRegistry.BuiltIn);
        Assert.Equal(cell.ShrunkCase.ToString(), again.ShrunkCase!.ToString());
        Assert.Equal(string.Join("\n", cell.Shrunk!.Trace), string.Join("\n", again.Shrunk!.Trace));
    }

    [Fact]
    public void A_pct_genome_is_the_default_genome_of_the_same_draw_plus_a_seed()
    {
        for (ulong seed = 1; seed <= 10; seed++)
        {
            var uniform = Draw(PatchCaseGen.Genome(4), seed);
            var explored = Draw(PatchCaseGen.Explored(4, ScheduleSearch.Get("pct")), seed);
            Assert.NotNull(explored.Explore);
            Assert.Equal(uniform.ToString(), (explored with { Explore = null }).ToString());
        }
    }

    [Fact]
    public void An_explored_case_records_the_run_it_made_and_that_run_replays_it()
    {
        var info = PatcherRegistry.Get("text-poke-bp");
        var genome = Draw(PatchCaseGen.Explored(4, ScheduleSearch.Get("pct")), 11);
        var explored = Conformance.Checking.PatchCheck.Run(info.Create, new Block16Fetch(), PatchCaseRealizer.Realize(genome, info.Create()), recordTrace: true);
        var recorded = genome with { Explore = null, Runs = explored.Schedule!.Runs.Select(r => new RunGenome(r.Cpu, r.Steps)).ToArray() };
        var replayed = Conformance.Checking.PatchCheck.Run(info.Create, new Block16Fetch(), PatchCaseRealizer.Realize(recorded, info.Create()), recordTrace: true);
        Assert.Equal(genome.Steps, explored.Schedule.TotalSteps);
        Assert.Equal(string.Join("\n", explored.Trace), string.Join("\n", replayed.Trace));
    }

    [Theory]
    [InlineData("cf2:text-poke-bp:atomic:-:4:1:3:7:pct", "pct")]
    [InlineData("cf2:text-poke-bp:atomic:-:4:1:3:7:uniform-random", "uniform-random")]
    [InlineData("cf2:text-poke-bp:atomic:-:4:1:3:7", "uniform-random")]
    public void A_token_names_its_strategy_in_a_ninth_field_or_means_the_default(string body, string strategy)
    {
        var token = ReplayToken.Parse(SealedToken.Of(body));
        Assert.Equal(strategy, token.Strategy);
        Assert.Equal(SealedToken.Of(strategy == "pct" ? body : "cf2:text-poke-bp:atomic:-:4:1:3:7"), token.ToString());
    }

    [Theory]
    [InlineData("cf2:text-poke-bp:atomic:-:4:1:3:7:nope", "strategy 'nope'")]
    [InlineData("cf2:text-poke-bp:atomic:-:4:1:3:7:pct:-:-:-:x", "12 field(s)")]
    public void A_token_with_a_bad_strategy_field_is_refused(string body, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ReplayToken.Parse(SealedToken.Of(body)));
        Assert.Contains(reason, e.Message);
    }
}
