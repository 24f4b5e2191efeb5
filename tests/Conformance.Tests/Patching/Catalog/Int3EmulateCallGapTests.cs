using Conformance.Emulation;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class Int3EmulateCallGapTests
{
    [Fact]
    public void It_is_registered_with_a_six_word_gap_and_expected_to_pass()
    {
        Assert.Equal(typeof(Int3EmulateCallGap), PatcherRegistry.Get("int3-emulate-call-gap").Type);
        Assert.Equal(6, ((IPatcher)new Int3EmulateCallGap()).BreakpointStackGap);
        Assert.Equal(ExpectedVerdict.Pass, Expect.For(new Int3EmulateCallGap().Expectations, "architectural", Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, false)!.Verdict);
    }

    [Fact]
    public void The_site_goes_int3_then_tail_then_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new Int3EmulateCallGap(), w);
        var r = w.Request(0, -1, 2);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [Forms.Nop5, [0xcc, 0x1f, 0x44, 0x00, 0x00], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.Equal(0xe8, r.New[0]);
    }

    [Fact]
    public void The_same_schedule_that_faults_without_the_gap_runs_the_new_call()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Int3EmulateCallGap(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(0UL, rsp & 0xF);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                    // entry moves the frame 48 bytes down; push; iretq
        Assert.Null(cpu.State.Fault);
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));
        Assert.True(cpu.State.InterruptsEnabled);
        BreakpointVisit.RunTo(rig, site.Next);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(1UL, rig.Count(1));
    }
}
