using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class SpinInBpTests
{
    [Fact]
    public void It_is_registered_declares_no_holding_instruction_and_is_expected_to_deadlock()
    {
        Assert.Equal(typeof(SpinInBp), PatcherRegistry.Get("spin-in-bp").Type);
        IPatcher p = new SpinInBp();
        Assert.Empty(p.HoldingInstructions);
        var e = Expect.For(p.Expectations, "atomic", Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, false)!;
        Assert.Equal((ExpectedVerdict.Fail, FailureKind.Deadlock), (e.Verdict, e.Failure!.Value));
    }

    [Fact]
    public void The_site_goes_int3_then_tail_then_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new SpinInBp(), w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
    }

    [Fact]
    public void The_handler_returns_to_the_int3_which_traps_again_until_the_head_is_written()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new SpinInBp(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp, count0 = rig.Count(0);
        for (int spin = 0; spin < 3; spin++)
        {
            Assert.Equal(StepResult.Trapped, cpu.Step());
            Assert.Equal(StepResult.Retired, cpu.Step());                // handler: regs->ip--, iretq
            Assert.Equal(site.Address, cpu.State.Rip);
            Assert.Equal(rsp, cpu.State.Rsp);
            Assert.True(cpu.State.InterruptsEnabled);
        }
        Assert.Equal(count0, rig.Count(0));
        Assert.Equal(0UL, rig.Count(1));
        // With IF=1 between spins the reader takes every sync IPI, so the patcher finishes ...
        Assert.Equal(LivenessVerdict.Completed, rig.Machine.RunFair(2000).Verdict);
        // ... and the spinning reader then runs the new call.
        BreakpointVisit.RunTo(rig, site.Address);
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, cpu.State.Rsp));
    }

    [Fact]
    public void A_reader_with_interrupts_off_spins_for_ever_and_the_patcher_waits_for_ever()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new SpinInBp(), w, new PatchRigOptions { RecordTrace = true, InterruptsOffCpus = [0] });
        rig.Patch([w.Request(0, 0, 1)]);
        var result = rig.Machine.RunFair(10_000);
        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.Equal(4, result.CycleLength);                             // cpu0 traps, cpu1 waits, cpu0 returns to the int3, cpu1 waits
        Assert.Equal("waiting for sync acknowledgements", rig.Machine.WriterStatus(1));
        // The cycle is the trap and the handler's return to the int3, in whichever phase it was first seen.
        Assert.Equal(new[] { $"cpu0 0x{site.Address:x} int 3", $"cpu0 0x{PatchRig.BreakpointEntry:x} <host spin-in-bp #BP handler>" }.Order(StringComparer.Ordinal),
            result.Cycle.Select(l => l.TrimStart()[(l.TrimStart().IndexOf(' ') + 1)..]).Order(StringComparer.Ordinal));
        Assert.Equal([0xcc, .. w.Request(0, 0, 1).Old[1..]], rig.Bytes(site));
        Assert.Equal(0UL, rig.Count(1));
    }

    [Fact]
    public void The_livelock_is_the_spin_an_emulating_handler_keeps_the_same_reader_running()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new TextPokeBp(), w, new PatchRigOptions { RecordTrace = true, InterruptsOffCpus = [0] });
        rig.Patch([w.Request(0, 0, 1)]);
        var result = rig.Machine.RunFair(2000);
        Assert.Equal(LivenessVerdict.BudgetExhausted, result.Verdict);  // still no IPI taken, but the reader makes progress
        Assert.True(rig.Count(1) > 10, $"target 1 counted {rig.Count(1)}");
    }
}
