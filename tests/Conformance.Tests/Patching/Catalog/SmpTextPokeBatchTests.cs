using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class SmpTextPokeBatchTests
{
    private static Workload TwoSites() => Workload.Build([
        new SiteSpec("a", Workload.SiteArea + 0x10, SiteKind.Call, 0),
        new SiteSpec("b", Workload.SiteArea + 0x80, SiteKind.Call, 0),
    ]);

    private static string[] Int3Stores(PatchRig rig) =>
        BreakpointVisit.WriterLines(rig).Where(l => l.Contains("store8") && l.EndsWith("<- cc")).ToArray();

    [Fact]
    public void It_is_registered_and_expected_to_pass_in_every_model()
    {
        Assert.Equal(typeof(SmpTextPokeBatch), PatcherRegistry.Get("smp-text-poke-batch").Type);
        foreach (string model in Expect.AllModels)
            Assert.Equal("pass", Declared("smp-text-poke-batch", model, nmiMayEndStiShadow: true));
    }

    [Fact]
    public void Pokes_in_address_order_share_one_array_and_one_protocol()
    {
        var w = TwoSites();
        var rig = PatchTesting.Rig(new SmpTextPokeBatch(), w);
        rig.Patch([w.Request(0, 0, 1), w.Request(1, 0, 2)]);
        FinishWriter(rig);
        Assert.Equal(3, rig.Machine.Trace.Count(l => l.Contains("sync_core complete")));
        Assert.Equal(2, Int3Stores(rig).Length);
        Assert.Equal(w.InstructionFor(0, 1), rig.Bytes(w.Sites[0]));
        Assert.Equal(w.InstructionFor(1, 2), rig.Bytes(w.Sites[1]));
    }

    [Fact]
    public void A_poke_below_the_last_queued_address_flushes_the_array_first()
    {
        var w = TwoSites();
        var rig = PatchTesting.Rig(new SmpTextPokeBatch(), w);
        rig.Patch([w.Request(1, 0, 2), w.Request(0, 0, 1)]);               // b, then a: out of order
        FinishWriter(rig);
        Assert.Equal(6, rig.Machine.Trace.Count(l => l.Contains("sync_core complete")));   // two batches
        var int3s = Int3Stores(rig);
        Assert.Equal(2, int3s.Length);
        Assert.Contains($"0x{w.Sites[1].Address:x}", int3s[0]);
        Assert.Contains($"0x{w.Sites[0].Address:x}", int3s[1]);
    }

    [Fact]
    public void Every_cpu_holds_a_reference_while_the_batch_runs_and_none_after()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var p = new SmpTextPokeBatch();
        var rig = PatchTesting.Rig(p, w);
        rig.Patch([w.Request(0, 0, 1)]);
        Assert.Equal(0, p.References(0));
        StepWriterUntil(rig, () => rig.Bytes(w.Sites[0])[0] == 0xcc);
        Assert.Equal(1, p.References(0));
        Assert.Equal(1, p.References(SmpTextPokeBatch.PossibleCpus - 1));
        Assert.Single(p.Queued);
        FinishWriter(rig);
        Assert.Equal(0, p.References(0));
        Assert.Empty(p.Queued);
    }

    [Fact]
    public void A_trapped_cpu_runs_the_new_call_and_gives_its_reference_back()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var p = new SmpTextPokeBatch();
        var rig = PatchTesting.Rig(p, w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, cpu.State.Rsp));
        Assert.Equal(1, p.References(cpu.Id));                             // inc_not_zero, then dec: back to the batch's 1
    }
}
