using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class R10R11DivertTests
{
    private const ulong R10Before = 0x1010_1010, R11Before = 0x1111_1111;

    [Fact]
    public void It_is_registered_and_expected_to_fail_only_where_a_callee_saved_site_becomes_a_call()
    {
        Assert.Equal(typeof(R10R11Divert), PatcherRegistry.Get("r10-r11-divert").Type);
        var rules = new R10R11Divert().Expectations;
        var callToCall = Expect.T(InstructionClass.Call, InstructionClass.Call);
        var bad = Expect.For(rules, "atomic", callToCall, Abi.CalleeSaved, false)!;
        Assert.Equal((ExpectedVerdict.Fail, FailureKind.ClobberedRegister), (bad.Verdict, bad.Failure!.Value));
        Assert.Equal(ExpectedVerdict.Pass, Expect.For(rules, "atomic", callToCall, Abi.C, false)!.Verdict);
        Assert.Equal(ExpectedVerdict.Pass, Expect.For(rules, "atomic", Expect.T(InstructionClass.Call, InstructionClass.Nop), Abi.CalleeSaved, false)!.Verdict);
    }

    [Fact]
    public void The_thunk_is_written_and_synced_before_the_first_int3()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var patcher = new R10R11Divert();
        var rig = PatchTesting.Rig(patcher, w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, site);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.Equal(Workload.StubBase, patcher.ThunkAddress);
        Assert.Equal([0x41, 0x52, 0x41, 0xff, 0xe3], BreakpointVisit.Bytes(rig, Workload.StubBase, 5));
        var lines = BreakpointVisit.WriterLines(rig);
        Assert.Equal("lock text_mutex", lines[0]);
        Assert.Equal($"store40 0x{Workload.StubBase:x} <- 415241ffe3", lines[1]);
        Assert.Equal("sync_core: IPI sent to every other CPU", lines[2]);
        Assert.Equal("sync_core complete (every CPU acknowledged)", lines[3]);
        Assert.Equal($"store8 0x{site.Address:x} <- cc", lines[4]);
    }

    [Fact]
    public void A_trapped_cpu_goes_through_the_thunk_and_leaves_r10_and_r11_clobbered()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0, abi: Abi.CalleeSaved);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new R10R11Divert(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        cpu.State[Gpr.R10] = R10Before;                                  // live values a callee-saved caller keeps
        cpu.State[Gpr.R11] = R11Before;
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                    // handler: r10, r11, RIP = thunk; iretq
        Assert.Equal(Workload.StubBase, cpu.State.Rip);
        Assert.Equal(site.Next, cpu.State[Gpr.R10]);
        Assert.Equal(Workload.CallTarget(1), cpu.State[Gpr.R11]);
        Assert.Equal(rsp, cpu.State.Rsp);                                // the handler pushed nothing
        Assert.Equal(StepResult.Retired, cpu.Step());                    // push %r10
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));
        Assert.Equal(StepResult.Retired, cpu.Step());                    // jmp *%r11
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        BreakpointVisit.RunTo(rig, site.Next);                           // inc [counter 1]; ret
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(1UL, rig.Count(1));
        Assert.Equal(site.Next, cpu.State[Gpr.R10]);                     // after the visit: both changed
        Assert.Equal(Workload.CallTarget(1), cpu.State[Gpr.R11]);
    }

    [Fact]
    public void A_new_nop_is_emulated_in_place_and_r10_r11_survive()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0, abi: Abi.CalleeSaved);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new R10R11Divert(), w);
        rig.Patch([w.Request(0, 0, -1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        cpu.State[Gpr.R10] = R10Before;
        cpu.State[Gpr.R11] = R11Before;
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(site.Next, cpu.State.Rip);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(R10Before, cpu.State[Gpr.R10]);
        Assert.Equal(R11Before, cpu.State[Gpr.R11]);
    }
}
