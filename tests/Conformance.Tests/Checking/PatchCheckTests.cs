using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Checking;

/// <summary>The properties over real runs: each known-bad scheme is caught for the reason history gives; text-poke-bp is not.</summary>
public class PatchCheckTests
{
    private static readonly ScheduleShape Shape = new(Cpus: 2, Steps: 160, MaxInterrupts: 2, MaxFetchChoice: 3, FetchChoices: 24);

    private static PatchCase Case(SiteKind kind, int from, int to, ulong seed, Abi abi = Abi.C, ulong at = Workload.SiteArea + 0x3e) =>
        new([new SiteSpec("s0", at, kind, from, abi)], [[new PlannedChange(0, from, to)]], 2, new UniformRandomStrategy().Create(seed, Shape));

    private static (CaseResult? Failure, ulong Seed) Search(Func<IPatcher> patcher, Func<ulong, PatchCase> make, int seeds, string model = "atomic")
    {
        for (ulong seed = 0; seed < (ulong)seeds; seed++)
        {
            var result = PatchCheck.Run(patcher, FetchModelRegistry.Get(model), make(seed));
            if (!result.Passed) return (result, seed);
        }
        return (null, 0);
    }

    [Theory]
    [InlineData("atomic")]
    [InlineData("block16")]
    [InlineData("architectural")]
    public void Text_poke_bp_passes_every_property(string model)
    {
        var (failure, seed) = Search(() => new TextPokeBp(), s => Case(SiteKind.Call, 0, 1, s), 60, model);
        Assert.True(failure is null, $"seed {seed}: {failure?.First}");
    }

    [Fact]
    public void The_pre_2019_handler_skips_a_call_to_call_change()
    {
        var (failure, _) = Search(() => new TextPokeBpPre2019(), s => Case(SiteKind.Call, 0, 1, s), 200);
        Assert.NotNull(failure);
        var v = failure!.First!;
        Assert.Equal(EquivalentEffect.Id, v.Property);
        Assert.Contains("matches neither", v.Message);
        Assert.Contains("push", v.Message);   // what the calls would have done
    }

    [Fact]
    public void The_pre_2019_handler_is_right_for_nop_to_call()
    {
        var (failure, seed) = Search(() => new TextPokeBpPre2019(), s => Case(SiteKind.Call, -1, 1, s), 60);
        Assert.True(failure is null, $"seed {seed}: {failure?.First}");
    }

    [Fact]
    public void R10_r11_divert_clobbers_a_callee_saved_caller()
    {
        var (failure, _) = Search(() => new R10R11Divert(), s => Case(SiteKind.Call, 0, 1, s, Abi.CalleeSaved), 200);
        Assert.NotNull(failure);
        Assert.Contains("clobbered R1", failure!.First!.Message);
        var (cAbi, seed) = Search(() => new R10R11Divert(), s => Case(SiteKind.Call, 0, 1, s, Abi.C), 60);
        Assert.True(cAbi is null, $"seed {seed}: {cAbi?.First}");
    }

    [Fact]
    public void Call_emulation_without_the_gap_corrupts_the_stack()
    {
        var (failure, _) = Search(() => new Int3EmulateCallNoGap(), s => Case(SiteKind.Call, 0, 1, s), 200);
        Assert.NotNull(failure);
        Assert.Contains("BadInterruptFrame", failure!.First!.Message);
    }

    [Fact]
    public void Spinning_in_the_handler_deadlocks_with_a_reader_at_IF_0()
    {
        var c = Case(SiteKind.Call, 0, 1, 3) with { InterruptsOffCpus = [0], Schedule = Schedule.Empty };
        var result = PatchCheck.Run(() => new SpinInBp(), new AtomicFetch(), c);
        Assert.Contains(result.Violations, v => v.Property == PatchCheck.Liveness && v.Message.Contains("livelock"));
    }

    [Fact]
    public void The_naive_patcher_tears()
    {
        var (failure, _) = Search(() => new NaiveTextPoke(), s => Case(SiteKind.Call, 0, 1, s), 200);
        Assert.NotNull(failure);
        Assert.Equal(OldNewOrTrap.Id, failure!.First!.Property);
    }
}
