using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class BpfArchTextPokeTests
{
    [Fact]
    public void It_is_registered_expected_to_pass_and_its_first_form_is_naive_text_poke()
    {
        Assert.Equal(typeof(BpfArchTextPoke), PatcherRegistry.Get("bpf-arch-text-poke").Type);
        foreach (string model in Expect.AllModels)
        {
            Assert.Equal("pass", Declared("bpf-arch-text-poke", model, nmiMayEndStiShadow: true));
            Assert.Equal("fail (TornDecode)", Declared("naive-text-poke", model));   // seed 004's memcmp + text_poke
        }
        Assert.Contains("bpf_arch_text_poke", PatcherRegistry.Get("naive-text-poke").Source);
        Assert.Contains("naive-text-poke", PatcherRegistry.Get("bpf-arch-text-poke").Source);
    }

    [Fact]
    public void It_takes_5_byte_nop_call_and_jmp_sites_and_changes_within_one_type()
    {
        IPatcher p = new BpfArchTextPoke();
        var call = PatchTesting.OneSite(SiteKind.Call, 0);
        var jmp = PatchTesting.OneSite(SiteKind.Jmp, 0);
        Assert.True(p.Accepts(call.Request(0, -1, 1)).Accepted);            // BPF_MOD_CALL, NULL -> addr
        Assert.True(p.Accepts(call.Request(0, 0, 1)).Accepted);             // addr -> addr
        Assert.True(p.Accepts(jmp.Request(0, 0, -1)).Accepted);             // BPF_MOD_JUMP, addr -> NULL
        Assert.Equal(BpfArchTextPoke.FiveBytes, p.Accepts(PatchTesting.OneSite(SiteKind.Short, -1).Sites[0]).Fallback);
        Assert.Equal(BpfArchTextPoke.FiveBytes, p.Accepts(PatchTesting.OneSite(SiteKind.CsCall, 0).Sites[0]).Fallback);
        Assert.Equal(BpfArchTextPoke.OneType, p.Accepts(PatchTesting.OneSite(SiteKind.Trampoline, 0).Request(0, 0, -1)).Fallback);   // c3 cc cc cc cc is no NOP5
        var form = Workload.Build([new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0) { Forms = [SiteForm.Call(0), SiteForm.Jmp(1)] }]);
        Assert.Equal(BpfArchTextPoke.OneType, p.Accepts(form.Request(0, 0, 1)).Fallback);                 // call -> jmp: two types
    }

    [Theory]
    [InlineData(SiteKind.Call, -1, 1)]
    [InlineData(SiteKind.Call, 0, 2)]
    [InlineData(SiteKind.Jmp, 1, -1)]
    public void Each_poke_goes_int3_then_tail_then_head(SiteKind kind, int from, int to)
    {
        var w = PatchTesting.OneSite(kind, from, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new BpfArchTextPoke(), w);
        var r = w.Request(0, from, to);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
    }

    [Theory]
    [InlineData(0, 1, 2)]   // the site holds neither the old (t1) ... : -EBUSY
    [InlineData(2, 1, 2)]   // ... or it already holds the new one: 1
    public void A_site_that_does_not_hold_the_old_instruction_or_already_holds_the_new_is_left_alone(int holds, int from, int to)
    {
        var w = PatchTesting.OneSite(SiteKind.Call, holds);
        var rig = PatchTesting.Rig(new BpfArchTextPoke(), w);
        rig.Patch([w.Request(0, from, to)]);
        FinishWriter(rig);
        Assert.DoesNotContain(rig.Machine.Trace, l => l.Contains("writer: store") || l.Contains("sync_core"));
        Assert.Equal(w.InstructionFor(0, holds), rig.Bytes(w.Sites[0]));
    }

    [Fact]
    public void A_cpu_trapping_on_the_site_runs_the_new_call()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new BpfArchTextPoke(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, cpu.State.Rsp));
    }
}
