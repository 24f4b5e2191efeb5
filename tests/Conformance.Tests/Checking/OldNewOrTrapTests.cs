using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using Conformance.Tests.Patching;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Checking;

/// <summary>P1 over real runs: the naive patcher tears, text_poke_bp does not, a mutant without sync #1 tears under block fetch.</summary>
public class OldNewOrTrapTests
{
    private static readonly ScheduleShape Shape = new(Cpus: 2, Steps: 120, MaxFetchChoice: 3, FetchChoices: 24);

    /// <summary>The first P1 violation over <paramref name="seeds"/> uniform-random runs, with the seed that found it.</summary>
    private static (Violation? Violation, ulong Seed) Search(Func<IPatcher> patcher, IFetchModel model, int seeds, ulong at = Workload.SiteArea + 0x3e)
    {
        var strategy = new UniformRandomStrategy();
        for (ulong seed = 0; seed < (ulong)seeds; seed++)
        {
            var w = PatchTesting.OneSite(SiteKind.Call, 0, at);
            var p = patcher();
            var rig = new PatchRig(p, w, new PatchRigOptions { FetchModel = model });
            var request = w.Request(0, 0, 1);
            rig.Patch([request]);
            rig.Machine.Run(strategy.Create(seed, Shape));
            if (OldNewOrTrap.FirstViolation(rig.Machine.Fetches, [request], p) is { } v) return (v, seed);
        }
        return (null, 0);
    }

    [Fact]
    public void The_naive_patcher_is_caught_tearing_even_with_atomic_fetch()
    {
        var (v, _) = Search(() => new NaiveTextPoke(), new AtomicFetch(), seeds: 200);
        Assert.NotNull(v);
        Assert.Contains("torn decode at s0+0", v!.Message);
        Assert.Contains("neither the old nor the new", v.Message);
    }

    [Theory]
    [InlineData("atomic")]
    [InlineData("block16")]
    [InlineData("architectural")]
    public void Text_poke_bp_never_tears(string model)
    {
        var (v, seed) = Search(() => new TextPokeBp(), FetchModelRegistry.Get(model), seeds: 150);
        Assert.True(v is null, $"seed {seed}: {v}");
    }

    [Fact]
    public void Without_sync_1_a_stale_line_meets_the_new_tail_under_block64()
    {
        var (v, _) = Search(() => new TextPokeBpWithoutSync1(), new Block64Fetch(), seeds: 400);
        Assert.NotNull(v);
        Assert.Contains("read at t=", v!.Message);          // the units and their moments explain the tear
        Assert.True(v.Fetch!.IsStale);
    }

    [Fact]
    public void An_int3_and_both_instructions_are_allowed_and_a_mix_is_not()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var r = w.Request(0, 0, 1);
        Assert.NotEqual(r.Old[2], r.New[2]);   // the rel32s differ in two bytes
        var p = new TextPokeBp();
        FetchRecord Fetch(byte[] bytes) => new(0, 5, r.Site.Address, bytes, [new FetchUnit(r.Site.Address, r.Site.Address + 15, 5)], null);
        Assert.Null(OldNewOrTrap.Check(Fetch(r.Old), [r], p));
        Assert.Null(OldNewOrTrap.Check(Fetch(r.New), [r], p));
        Assert.Null(OldNewOrTrap.Check(Fetch([0xcc]), [r], p));
        Assert.NotNull(OldNewOrTrap.Check(Fetch([r.New[0], r.Old[1], r.New[2], r.Old[3], r.Old[4]]), [r], p));
    }
}
