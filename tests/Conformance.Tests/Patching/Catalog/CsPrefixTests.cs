using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class CsPrefixTests
{
    [Fact]
    public void It_takes_only_cs_prefixed_sites_and_leaves_the_verdict_to_the_suite()
    {
        Assert.Equal(typeof(CsPrefix), PatcherRegistry.Get("cs-prefix").Type);
        IPatcher p = new CsPrefix();
        Assert.True(p.Accepts(new PatchSite("s", 0x400050, SiteKind.CsCall, 6)).Accepted);
        var no = p.Accepts(new PatchSite("s", 0x400050, SiteKind.Call, 5));
        Assert.False(no.Accepted);
        Assert.Contains("cs-prefixed", no.Fallback);
        Assert.Equal(ExpectedVerdict.Undecided, Expect.For(p.Expectations, "atomic", Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, false)!.Verdict);
    }

    [Fact]
    public void The_prefix_becomes_int3_then_the_rel32_changes_then_the_prefix_returns()
    {
        var w = PatchTesting.OneSite(SiteKind.CsCall, 0, PatchTesting.StraddlingSite);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new CsPrefix(), w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, site);
        byte[] oldRel = Forms.Rel32(site.Address + 1, Workload.CallTarget(0)), newRel = Forms.Rel32(site.Address + 1, Workload.CallTarget(1));
        byte[][] expected = [[0x2e, 0xe8, .. oldRel], [0xcc, 0xe8, .. oldRel], [0xcc, 0xe8, .. newRel], [0x2e, 0xe8, .. newRel]];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.Equal(r.New, states[^1]);
        string rel = Convert.ToHexString(newRel).ToLowerInvariant();
        Assert.Equal(
            ["lock text_mutex", $"store8 0x{site.Address:x} <- cc", "sync_core: IPI sent to every other CPU", "sync_core complete (every CPU acknowledged)",
             $"store32 0x{site.Address + 2:x} <- {rel}", "sync_core: IPI sent to every other CPU", "sync_core complete (every CPU acknowledged)",
             $"store8 0x{site.Address:x} <- 2e", "sync_core: IPI sent to every other CPU", "sync_core complete (every CPU acknowledged)", "unlock text_mutex"],
            BreakpointVisit.WriterLines(rig));
    }

    [Fact]
    public void A_cs_nop_becoming_a_cs_call_has_its_whole_body_written_after_the_prefix()
    {
        var w = PatchTesting.OneSite(SiteKind.CsCall, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new CsPrefix(), w);
        rig.Patch([w.Request(0, -1, 2)]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, site);
        byte[] call = Forms.Call(site.Address + 1, Workload.CallTarget(2));
        byte[][] expected = [[0x2e, .. Forms.Nop5], [0xcc, .. Forms.Nop5], [0xcc, .. call], [0x2e, .. call]];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
    }

    [Fact]
    public void A_trapped_cpu_writes_the_rel32_itself_keeps_the_int3_and_runs_the_bare_call()
    {
        var w = PatchTesting.OneSite(SiteKind.CsCall, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new CsPrefix(), w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);                // the patcher waits in sync #1: it has not written the rel32
        byte[] newRel = Forms.Rel32(site.Address + 1, Workload.CallTarget(1));
        Assert.Equal([0xcc, 0xe8, .. Forms.Rel32(site.Address + 1, Workload.CallTarget(0))], rig.Bytes(site));
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                    // handler: rel32 in place, iretq to site+1
        Assert.Equal(site.Address + 1, cpu.State.Rip);
        Assert.Equal(rsp, cpu.State.Rsp);                                // nothing pushed
        Assert.Equal([0xcc, 0xe8, .. newRel], rig.Bytes(site));          // the int3 stays
        Assert.Equal(StepResult.Retired, cpu.Step());                    // e8 rel32 at site+1
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));     // site+6: after the whole 6-byte site
        Assert.Equal(6UL, site.Next - site.Address);
        BreakpointVisit.RunTo(rig, site.Next);
        Assert.Equal(1UL, rig.Count(1));
        Assert.Equal(LivenessVerdict.Completed, rig.Machine.RunFair(2000).Verdict);
        Assert.Equal(r.New, rig.Bytes(site));
    }
}
