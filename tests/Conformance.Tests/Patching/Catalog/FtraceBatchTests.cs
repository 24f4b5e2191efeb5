using Conformance.Emulation;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Catalog;

public class FtraceBatchTests
{
    [Fact]
    public void It_is_registered_takes_fentry_sites_and_is_expected_to_pass()
    {
        Assert.Equal(typeof(FtraceBatch), PatcherRegistry.Get("ftrace-batch").Type);
        IPatcher p = new FtraceBatch();
        Assert.True(p.Accepts(new PatchSite("s", 0x400050, SiteKind.Nop5, 5)).Accepted);
        Assert.False(p.Accepts(new PatchSite("s", 0x400050, SiteKind.Short, 2)).Accepted);
        Assert.Equal(ExpectedVerdict.Pass, Expect.For(p.Expectations, "architectural", Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, false)!.Verdict);
    }

    [Fact]
    public void A_batch_writes_what_text_poke_bp_writes_in_the_same_order()
    {
        var w = Workload.Build([
            new SiteSpec("b", Workload.SiteArea + 0x80, SiteKind.Call, 0),
            new SiteSpec("a", PatchTesting.StraddlingSite, SiteKind.Nop5, -1),
        ]);
        IReadOnlyList<PatchRequest> batch = [w.Request(1, 0, 2), w.Request(0, -1, 1)];
        var ftrace = PatchTesting.Rig(new FtraceBatch(), w);
        ftrace.Patch(batch);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(ftrace, w.Sites[0]);
        byte[][] expected = [Forms.Nop5, [0xcc, 0x1f, 0x44, 0x00, 0x00], [0xcc, .. batch[1].New[1..]], batch[1].New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.Equal(batch[0].New, ftrace.Bytes(w.Sites[1]));
        var generic = PatchTesting.Rig(new TextPokeBp(), w);
        generic.Patch(batch);
        PatchTesting.SiteBytesAfterEachWriterStep(generic, w.Sites[0]);
        Assert.Equal(BreakpointVisit.WriterLines(generic), BreakpointVisit.WriterLines(ftrace));
        Assert.Equal(["lock text_mutex", "store8 0x40007e <- cc", "store8 0x4000c0 <- cc", "sync_core: IPI sent to every other CPU"], BreakpointVisit.WriterLines(ftrace)[..4]);
    }

    [Fact]
    public void A_trapped_cpu_runs_the_new_call()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new FtraceBatch(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp, count0 = rig.Count(0);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, rsp - 8));
        BreakpointVisit.RunTo(rig, site.Next);
        Assert.Equal(1UL, rig.Count(1));
        Assert.Equal(count0, rig.Count(0));
    }
}
