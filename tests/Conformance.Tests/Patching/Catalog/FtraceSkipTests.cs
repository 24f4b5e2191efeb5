using Conformance.Emulation;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class FtraceSkipTests
{
    [Fact]
    public void It_is_registered_takes_fentry_sites_and_expects_call_to_call_to_skip()
    {
        Assert.Equal(typeof(FtraceSkip), PatcherRegistry.Get("ftrace-skip").Type);
        IPatcher p = new FtraceSkip();
        Assert.True(p.Accepts(new PatchSite("s", 0x400050, SiteKind.Call, 5)).Accepted);
        Assert.True(p.Accepts(new PatchSite("s", 0x400050, SiteKind.Nop5, 5)).Accepted);
        Assert.Contains("fentry", p.Accepts(new PatchSite("s", 0x400050, SiteKind.CsCall, 6)).Fallback);
        var skip = Expect.For(p.Expectations, "atomic", Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, false)!;
        Assert.Equal((ExpectedVerdict.Fail, FailureKind.SkippedCall), (skip.Verdict, skip.Failure!.Value));
        Assert.Equal(ExpectedVerdict.Pass, Expect.For(p.Expectations, "atomic", Expect.T(InstructionClass.Nop, InstructionClass.Call), Abi.C, false)!.Verdict);
        Assert.Equal(ExpectedVerdict.Pass, Expect.For(p.Expectations, "atomic", Expect.T(InstructionClass.Call, InstructionClass.Nop), Abi.C, false)!.Verdict);
    }

    [Fact]
    public void The_site_goes_int3_then_tail_then_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new FtraceSkip(), w);
        var r = w.Request(0, -1, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [Forms.Nop5, [0xcc, 0x1f, 0x44, 0x00, 0x00], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
    }

    [Fact]
    public void A_trapped_cpu_skips_a_call_to_call_site_and_runs_neither_call()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new FtraceSkip(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp, count0 = rig.Count(0);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                    // handler: regs->ip += 4, iretq
        Assert.Equal(site.Address + 5, cpu.State.Rip);
        Assert.Equal(site.Next, cpu.State.Rip);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(count0, rig.Count(0));                              // the old call did not run
        Assert.Equal(0UL, rig.Count(1));                                 // nor the new one
    }

    [Fact]
    public void A_trapped_cpu_treats_a_nop_to_call_site_as_the_nop()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new FtraceSkip(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(site.Next, cpu.State.Rip);                          // what the old nop5 does
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(0UL, rig.Count(1));
    }
}
