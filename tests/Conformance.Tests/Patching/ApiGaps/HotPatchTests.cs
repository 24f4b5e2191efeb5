using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>
/// Issue 13, item 7: caller-chosen bytes for a site (<c>8b ff</c> -> <c>eb f9</c>), and bytes a
/// change owns outside its site (the 5 padding bytes of a hot-patch), accepted by the write guard,
/// checked by P1 and P3, and by the exhaustive explorer.
/// </summary>
public class HotPatchTests
{
    /// <summary>A 2-byte <c>mov edi, edi</c> entry that becomes <c>jmp $-5</c> to a long jmp in the padding to jmp target 1.</summary>
    private static SiteSpec Entry(ulong at = Workload.SiteArea + 0x10) =>
        new("s0", at, SiteKind.Short, Target: 0) { Forms = [SiteForm.Of(0x8b, 0xff), SiteForm.HotPatch(1)] };

    private static PatchCase Case(ulong seed) =>
        new([Entry()], [[new PlannedChange(0, 0, 1)]], 2, new UniformRandomStrategy().Create(seed, new ScheduleShape(Cpus: 2, Steps: 160, MaxFetchChoice: 3, FetchChoices: 24)));

    [Fact]
    public void The_request_carries_the_entry_bytes_and_the_padding_it_owns()
    {
        var workload = Workload.Build([Entry()], targets: 2);
        var request = workload.Request(0, 0, 1);
        Assert.Equal("8b ff", Forms.Hex(request.Old));
        Assert.Equal("eb f9", Forms.Hex(request.New));
        var padding = Assert.Single(request.Padding);
        Assert.Equal(workload.Sites[0].Address - 5, padding.Address);
        Assert.Equal(workload.JmpTarget(0, 1), Forms.Target(padding.Address, padding.Bytes));
        Assert.Equal([0x8b, 0xff], workload.Code[(int)(workload.Sites[0].Address - Workload.TextBase)..][..2]);
    }

    [Theory]
    [InlineData("atomic")]
    [InlineData("block16")]
    public void The_hot_patch_passes_and_its_padding_stores_are_its_own(string model)
    {
        for (ulong seed = 0; seed < 40; seed++)
        {
            var result = PatchCheck.Run(() => new HotPatcher(), FetchModelRegistry.Get(model), Case(seed));
            Assert.True(result.Passed, $"seed {seed}: {result.First}");
        }
    }

    [Fact]
    public void The_patched_entry_reaches_the_target_through_the_padding()
    {
        var workload = Workload.Build([Entry()], targets: 2);
        var rig = new PatchRig(new HotPatcher(), workload, new PatchRigOptions());
        rig.Patch([workload.Request(0, 0, 1)]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 400));
        Assert.Null(rig.Failure);
        Assert.Null(rig.WroteOutside);
        Assert.True(rig.Count(1) > 0, "jmp target 1 was reached");
    }

    [Fact]
    public void Without_the_sync_after_the_padding_a_cpu_reads_it_stale_and_is_caught()
    {
        CaseResult? failure = null;
        for (ulong seed = 0; seed < 300 && failure is null; seed++)
        {
            var result = PatchCheck.Run(() => new HotPatcherWithoutPaddingSync(), new AtomicFetch(), Case(seed));
            if (!result.Passed) failure = result;
        }
        Assert.NotNull(failure);
    }

    [Fact]
    public void The_exhaustive_explorer_accepts_padding_the_change_owns()
    {
        var c = new PatchCase([Entry()], [[new PlannedChange(0, 0, 1)]], 2, Schedule.Empty) { Targets = 2, StalenessWindow = long.MaxValue };
        var result = ExhaustiveExplorer.Explore(() => new HotPatcher(), new AtomicFetch(), c, new ExhaustiveBound(1));
        Assert.True(result.Outcome == ExhaustiveOutcome.Verified, result.Summary);
        var broken = ExhaustiveExplorer.Explore(() => new HotPatcherWithoutPaddingSync(), new AtomicFetch(), c, new ExhaustiveBound(1));
        Assert.True(broken.Outcome == ExhaustiveOutcome.Counterexample, broken.Summary);
    }
}
