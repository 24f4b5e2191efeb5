using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching;

public class WorkloadTests
{
    [Theory]
    [InlineData(SiteKind.Call, 1)]
    [InlineData(SiteKind.Jmp, 2)]
    [InlineData(SiteKind.CsCall, 0)]
    [InlineData(SiteKind.Trampoline, 1)]
    public void The_loop_visits_the_site_and_its_target_counts(SiteKind kind, int target)
    {
        var w = PatchTesting.OneSite(kind, target);
        var rig = PatchTesting.Rig(new Conformance.Patching.Catalog.TextPokeBp(), w);
        for (int i = 0; i < 200; i++) rig.Machine.Step(0);
        Assert.True(rig.Count(target) >= 10, $"target {target} counted {rig.Count(target)}");
        for (int k = 0; k < w.Targets; k++) if (k != target) Assert.Equal(0UL, rig.Count(k));
        Assert.Null(rig.Machine.Cpus[0].State.Fault);
    }

    [Fact]
    public void A_nop_site_falls_through_and_a_short_jump_skips_the_block()
    {
        var nop = PatchTesting.Rig(new Conformance.Patching.Catalog.TextPokeBp(), PatchTesting.OneSite(SiteKind.Nop5, -1));
        for (int i = 0; i < 100; i++) nop.Machine.Step(0);
        Assert.Equal(0UL, nop.Count(0));
        var shortNop = PatchTesting.Rig(new Conformance.Patching.Catalog.TextPokeBp(), PatchTesting.OneSite(SiteKind.Short, -1));
        for (int i = 0; i < 100; i++) shortNop.Machine.Step(0);
        Assert.True(shortNop.Count(Workload.SkipCounter) > 10);
        var shortJmp = PatchTesting.Rig(new Conformance.Patching.Catalog.TextPokeBp(), PatchTesting.OneSite(SiteKind.Short, 0));
        for (int i = 0; i < 100; i++) shortJmp.Machine.Step(0);
        Assert.Equal(0UL, shortJmp.Count(Workload.SkipCounter));
    }

    [Fact]
    public void Overlapping_or_misplaced_sites_are_rejected_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => Workload.Build([
            new SiteSpec("a", Workload.SiteArea, SiteKind.Call, 0), new SiteSpec("b", Workload.SiteArea + 7, SiteKind.Call, 0)]));
        Assert.Contains("overlaps site b", e.Message);
        Assert.Throws<ArgumentException>(() => Workload.Build([new SiteSpec("a", Workload.TextBase, SiteKind.Call, 0)]));
        Assert.Throws<ArgumentException>(() => Workload.Build([new SiteSpec("a", Workload.SiteArea, SiteKind.Call, 7)]));
    }

    [Fact]
    public void Instruction_forms_decode_as_what_they_claim()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var s = w.Sites[0];
        Assert.Equal(InstructionClass.Call, Forms.Classify(s.Address, w.InstructionFor(0, 1)));
        Assert.Equal(Workload.CallTarget(1), Forms.Target(s.Address, w.InstructionFor(0, 1)));
        Assert.Equal(InstructionClass.Nop, Forms.Classify(s.Address, w.InstructionFor(0, -1)));
        Assert.Equal(6, Forms.CsCall(s.Address, Workload.CallTarget(0)).Length);
    }
}
