using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching;

/// <summary>
/// A site run under a spinlock taken with IRQs off: every reader takes the same lock word with
/// <c>lock cmpxchg</c> after <c>cli</c>, so at most one CPU is ever inside the site or its target,
/// always with IF=0, and the others spin with IRQs off meanwhile.
/// </summary>
public class SpinlockWorkloadTests
{
    [Theory]
    [InlineData(SiteKind.Call, 1)]
    [InlineData(SiteKind.Jmp, 2)]
    [InlineData(SiteKind.Trampoline, 0)]
    public void Readers_take_turns_inside_the_site_with_interrupts_off(SiteKind kind, int target)
    {
        var w = Workload.Build([new SiteSpec("s0", Workload.SiteArea + 0x10, kind, target) { Spinlock = true, InterruptsOff = true }]);
        var rig = new PatchRig(new TextPokeBp(), w, new PatchRigOptions { Cpus = 4 });
        var site = w.Sites[0];
        ulong targetStart = kind == SiteKind.Jmp ? w.JmpTarget(0, target) : Workload.CallTarget(target);
        bool Inside(ulong rip) => site.Contains(rip) || (rip >= targetStart && rip < targetStart + 0x10);
        int spinningWithIrqsOff = 0;
        for (int step = 0; step < 1500; step++)
        {
            rig.Machine.Step(step % 3);
            var inside = rig.Machine.Cpus.Take(3).Where(c => Inside(c.State.Rip)).ToArray();
            Assert.True(inside.Length <= 1, $"step {step}: cpus {string.Join(",", inside.Select(c => c.Id))} are inside the site together");
            Assert.All(inside, c => Assert.False(c.State.InterruptsEnabled));
            spinningWithIrqsOff += rig.Machine.Cpus.Take(3).Count(c => c.State.Rip >= Workload.SpinlockArea && c.State.Rip < Workload.SpinlockArea + Workload.SpinlockCodeSize && !c.State.InterruptsEnabled);
        }
        Assert.True(rig.Count(target) >= 20, $"target {target} counted {rig.Count(target)}");
        Assert.True(spinningWithIrqsOff > 0);
        Assert.All(rig.Machine.Cpus, c => Assert.Null(c.State.Fault));
    }

    [Fact]
    public void A_correct_patch_completes_while_readers_contend_for_the_lock()
    {
        var w = Workload.Build([new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0) { Spinlock = true, InterruptsOff = true }]);
        var rig = new PatchRig(new TextPokeBp(), w, new PatchRigOptions { Cpus = 3 });
        rig.Patch([w.Request(0, 0, 1)]);
        Assert.Equal(LivenessVerdict.Completed, rig.Machine.RunFair(4000).Verdict);
        Assert.Equal(w.Request(0, 0, 1).New, rig.Bytes(w.Sites[0]));
    }
}
