using Conformance.Emulation;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class Int3EmulateCallNoGapTests
{
    [Fact]
    public void It_is_registered_with_no_stack_gap()
    {
        Assert.Equal(typeof(Int3EmulateCallNoGap), PatcherRegistry.Get("int3-emulate-call-no-gap").Type);
        Assert.Equal(0, ((IPatcher)new Int3EmulateCallNoGap()).BreakpointStackGap);
    }

    [Fact]
    public void The_site_goes_int3_then_tail_then_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new Int3EmulateCallNoGap(), w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.True(rig.Machine.WritersDone);
    }

    [Fact]
    public void An_emulated_call_overwrites_the_frames_ss_and_the_iretq_faults()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Int3EmulateCallNoGap(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(0UL, rsp & 0xF);                                    // 16-aligned: the frame sits right below RSP
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(rsp - 40, cpu.State.Rsp);                           // RIP, CS, RFLAGS, RSP, SS; SS at rsp-8
        Assert.Equal(0x18UL, BreakpointVisit.Word(rig, rsp - 8));
        Assert.Equal(StepResult.Faulted, cpu.Step());                    // handler: push site.Next at rsp-8, then iretq
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));     // the return address is now the frame's SS
        Assert.Equal(FaultKind.BadInterruptFrame, cpu.State.Fault!.Kind);
        Assert.Contains($"holds SS 0x{site.Next:x}", cpu.State.Fault.Message);
        Assert.Equal(0UL, rig.Count(1));
    }

    [Fact]
    public void With_rsp_8_mod_16_the_push_lands_in_the_alignment_padding_and_the_call_runs()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Int3EmulateCallNoGap(), w);
        rig.Machine.Cpus[0].State.Rsp -= 8;                              // the loop keeps RSP as it is
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(8UL, rsp & 0xF);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(rsp - 48, cpu.State.Rsp);                           // aligned down first: a padding word at rsp-8
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));
        BreakpointVisit.RunTo(rig, site.Next);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(1UL, rig.Count(1));
    }

    [Fact]
    public void A_nop_needs_no_push_and_survives_without_the_gap()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Int3EmulateCallNoGap(), w);
        rig.Patch([w.Request(0, 0, -1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp, count0 = rig.Count(0);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(site.Next, cpu.State.Rip);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Null(cpu.State.Fault);
        Assert.Equal(count0, rig.Count(0));
    }

    [Theory]
    [InlineData(InstructionClass.Call, InstructionClass.Call, ExpectedVerdict.Fail)]
    [InlineData(InstructionClass.Nop, InstructionClass.Call, ExpectedVerdict.Fail)]
    [InlineData(InstructionClass.Call, InstructionClass.Nop, ExpectedVerdict.Pass)]
    [InlineData(InstructionClass.Jmp, InstructionClass.Jmp, ExpectedVerdict.Pass)]
    public void It_is_expected_to_corrupt_the_stack_exactly_when_the_new_instruction_is_a_call(InstructionClass from, InstructionClass to, ExpectedVerdict verdict)
    {
        var e = Expect.For(new Int3EmulateCallNoGap().Expectations, "atomic", Expect.T(from, to), Abi.C, false)!;
        Assert.Equal(verdict, e.Verdict);
        Assert.Equal(verdict == ExpectedVerdict.Fail ? FailureKind.CorruptedStack : null, e.Failure);
    }
}
