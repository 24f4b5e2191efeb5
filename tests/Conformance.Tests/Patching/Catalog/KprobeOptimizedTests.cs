using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class KprobeOptimizedTests
{
    [Fact]
    public void It_is_registered_and_expected_to_pass_in_every_model()
    {
        Assert.Equal(typeof(KprobeOptimized), PatcherRegistry.Get("kprobe-optimized").Type);
        foreach (string model in Expect.AllModels)
            Assert.Equal("pass", Declared("kprobe-optimized", model, nmiMayEndStiShadow: true));
    }

    [Fact]
    public void Only_a_nop_of_5_bytes_or_more_can_run_from_a_detour()
    {
        IPatcher p = new KprobeOptimized();
        var call = PatchTesting.OneSite(SiteKind.Call, 0);
        Assert.True(p.Accepts(call.Request(0, -1, 1)).Accepted);                         // NOP5 -> call
        Assert.Equal(KprobeOptimized.NotBoostable, p.Accepts(call.Request(0, 0, 1)).Fallback);   // a call: can_boost() says no
        Assert.Equal(KprobeOptimized.TooShort, p.Accepts(PatchTesting.OneSite(SiteKind.Short, -1).Sites[0]).Fallback);
        Assert.True(p.Accepts(PatchTesting.OneSite(SiteKind.CsCall, -1).Request(0, -1, 1)).Accepted);   // the 6-byte NOP
    }

    [Fact]
    public void The_site_becomes_a_jmp_to_the_detour_then_the_new_instruction_each_through_the_int3_protocol()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, PatchTesting.StraddlingSite);
        var site = w.Sites[0];
        var p = new KprobeOptimized();
        var rig = PatchTesting.Rig(p, w);
        var r = w.Request(0, -1, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, site);
        ulong detour = rig.Stubs.Slot(0);
        byte[] jmp = Forms.Jmp(site.Address, detour);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. jmp[1..]], jmp, [0xcc, .. jmp[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.Equal(KprobeOptimized.Detour(site, Forms.Nop5, detour), BreakpointVisit.Bytes(rig, detour, 10));
        Assert.Equal(Forms.Hex(jmp), Forms.Hex(Assert.Single(((IPatcher)p).HoldingAt).Bytes));   // declared when the detour was made
        Assert.Contains($"0x{detour:x}", BreakpointVisit.WriterLines(rig).First(l => l.Contains("store")));   // the detour before the first int3
    }

    [Fact]
    public void A_6_byte_site_keeps_its_last_byte_unwritten_until_the_new_instruction()
    {
        // Optimizing writes only the jmp's five bytes; a store of the kept sixth byte (even of its own
        // value) is a byte the patch does not own, and the rig reports it as a patcher error (it did,
        // found by `check --max-cpus 1`).
        var w = PatchTesting.OneSite(SiteKind.CsCall, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new KprobeOptimized(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        FinishWriter(rig);
        var covering = BreakpointVisit.WriterLines(rig).Where(l => l.StartsWith("store")).Select(l => l.Split(' ')).Where(f =>
        {
            ulong at = Convert.ToUInt64(f[1], 16);
            return at <= site.Address + 5 && site.Address + 5 < at + (ulong)(f[3].Length / 2);
        }).ToArray();
        Assert.Single(covering);   // the new instruction's tail
    }

    [Fact]
    public void A_cpu_at_the_optimized_site_runs_the_original_in_the_detour_and_comes_back()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new KprobeOptimized(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        ulong detour = rig.Stubs.Slot(0);
        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xe9);           // optimized
        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        var cpu = rig.Machine.Cpus[Reader];
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Retired, cpu.Step());                     // jmp detour
        Assert.Equal(detour, cpu.State.Rip);
        cpu.Step();                                                       // the copied NOP5
        cpu.Step();                                                       // jmp site+5
        Assert.Equal(site.Next, cpu.State.Rip);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(0UL, rig.Count(1));
    }

    [Fact]
    public void A_cpu_trapping_while_the_site_is_optimized_is_sent_into_the_detour()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new KprobeOptimized(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                     // emulated jmp detour
        Assert.Equal(rig.Stubs.Slot(0), cpu.State.Rip);
    }

    [Fact]
    public void A_site_another_patch_made_a_call_is_poked_plainly()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 2);                   // holds a call, not the NOP the request names
        var rig = PatchTesting.Rig(new KprobeOptimized(), w);
        var r = w.Request(0, -1, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[] now = w.InstructionFor(0, 2);
        byte[][] expected = [now, [0xcc, .. now[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.DoesNotContain(BreakpointVisit.WriterLines(rig), l => l.Contains($"0x{rig.Stubs.Slot(0):x}"));
    }
}
