using Conformance.Emulation;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class FtraceRegsCallerTests
{
    [Fact]
    public void It_is_registered_calls_target_7_and_leaves_the_verdict_to_the_suite()
    {
        Assert.Equal(typeof(FtraceRegsCaller), PatcherRegistry.Get("ftrace-regs-caller").Type);
        Assert.Equal(7, FtraceRegsCaller.RegsCallerTarget);
        Assert.Equal(Workload.CallTarget(7), FtraceRegsCaller.RegsCaller);
        Assert.Equal(Workload.TargetBase + 7 * Workload.TargetSpacing + Workload.FarDistance, FtraceRegsCaller.RegsCaller);   // in the far text
        IPatcher p = new FtraceRegsCaller();
        Assert.False(p.Accepts(new PatchSite("s", 0x400050, SiteKind.Jmp, 5)).Accepted);
        Assert.Equal(ExpectedVerdict.Undecided, Expect.For(p.Expectations, "atomic", Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, false)!.Verdict);
    }

    [Fact]
    public void The_site_goes_int3_then_tail_then_head()
    {
        var w = Workload.Build([new SiteSpec("s0", PatchTesting.StraddlingSite, SiteKind.Call, 0)], targets: 8);
        var rig = PatchTesting.Rig(new FtraceRegsCaller(), w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
    }

    [Fact]
    public void A_trapped_cpu_calls_the_third_target_neither_old_nor_new()
    {
        var w = Workload.Build([new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0)], targets: 8);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new FtraceRegsCaller(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp, count0 = rig.Count(0);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                    // handler: int3_emulate_call(regs, ftrace_regs_caller)
        Assert.Equal(Workload.CallTarget(7), cpu.State.Rip);
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));
        BreakpointVisit.RunTo(rig, site.Next);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(1UL, rig.Count(7));
        Assert.Equal(count0, rig.Count(0));
        Assert.Equal(0UL, rig.Count(1));
    }
}
