using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class AlignedRel32Tests
{
    [Theory]
    [InlineData("atomic", "pass")]
    [InlineData("block64", "pass")]
    [InlineData("block32", "fail (TornDecode)")]
    [InlineData("block16", "fail (TornDecode)")]
    [InlineData("architectural", "fail (TornDecode)")]
    public void It_is_expected_to_pass_only_when_a_whole_line_is_fetched_at_once(string model, string verdict)
    {
        Assert.Equal(typeof(AlignedRel32), PatcherRegistry.Get("aligned-rel32").Type);
        Assert.Equal(verdict, Declared("aligned-rel32", model));
    }

    /// <summary>A call whose rel32 (0x40005f-0x400062) stays in its 64-byte line but straddles the 16- and 32-byte chunk boundary at 0x400060.</summary>
    private const ulong InLineStraddling32 = Workload.SiteArea + 0x1e;

    [Theory]
    [InlineData(0x10, true)]
    [InlineData(0x1e, true)]
    [InlineData(0x3b, true)]    // rel32 at line offsets 0x3c..0x3f: the last 4 bytes of the line
    [InlineData(0x3c, false)]   // rel32 at 0x3d..0x40: crosses into the next line
    [InlineData(0x3e, false)]
    [InlineData(0x3f, true)]    // the opcode is the line's last byte and the rel32 the next line's first 4: the opcode never changes
    public void It_accepts_a_call_only_when_its_rel32_lies_in_one_64_byte_line(int lineOffset, bool accepted)
    {
        var site = new PatchSite("s", Workload.SiteArea + (ulong)lineOffset, SiteKind.Call, 5);
        var decision = new AlignedRel32().Accepts(site);
        Assert.Equal(accepted, decision.Accepted);
        Assert.Equal(accepted ? null : "keeps calling the out-of-line trampoline, retargeted with text_poke_bp", decision.Fallback);
    }

    [Fact]
    public void It_declines_sites_that_are_not_calls_and_the_rig_refuses_a_declined_site()
    {
        var patcher = new AlignedRel32();
        var nop = patcher.Accepts(new PatchSite("n", Workload.SiteArea + 0x10, SiteKind.Nop5, 5));
        Assert.False(nop.Accepted);
        Assert.Equal("only e8 call sites are rewritten in place; other sites keep text_poke_bp", nop.Fallback);

        var w = PatchTesting.OneSite(SiteKind.Call, 0, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(patcher, w);
        var e = Assert.Throws<ArgumentException>(() => rig.Patch([w.Request(0, 0, 1)]));
        Assert.Contains("keeps calling the out-of-line trampoline, retargeted with text_poke_bp", e.Message);
    }

    [Fact]
    public void One_4_byte_store_of_the_rel32_is_the_whole_patch_and_one_event()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0, InLineStraddling32);
        var rig = PatchTesting.Rig(new AlignedRel32(), w);
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        Assert.Equal(PatchTesting.Hex([r.Old, r.New]), PatchTesting.Hex(states));   // no int3 state in between

        var writer = rig.Machine.Trace.Where(l => l.Contains("writer: store")).Select(l => l[l.IndexOf("writer")..]).ToArray();
        Assert.Single(writer);
        Assert.Single(rig.Machine.Trace, l => l.Contains("sync_core: IPI sent"));   // then one sync, so the patch is complete on return
        Assert.StartsWith($"writer: store32 0x40005f <- {Convert.ToHexString(r.New[1..]).ToLowerInvariant()} (t=", writer[0]);

        long t = long.Parse(writer[0][(writer[0].IndexOf("(t=") + 3)..^1]);
        for (int i = 1; i < 5; i++)
        {
            Assert.Equal(r.Old[i], rig.Machine.Memory.ByteAt(w.Sites[0].Address + (ulong)i, t - 1));
            Assert.Equal(r.New[i], rig.Machine.Memory.ByteAt(w.Sites[0].Address + (ulong)i, t));
        }
    }

    [Fact]
    public void Only_a_call_to_call_change_is_possible()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new AlignedRel32(), w);
        Assert.False(((IPatcher)rig.Patcher).Accepts(w.Request(0, 0, -1)).Accepted);
        var e = Assert.Throws<ArgumentException>(() => rig.Patch([w.Request(0, 0, -1)]));   // refused before any step
        Assert.Contains("aligned-rel32 declines", e.Message);
        Assert.Contains(AlignedRel32.NotACallSite, e.Message);
        Assert.Equal(w.InstructionFor(0, 0), rig.Bytes(w.Sites[0]));
    }

    [Fact]
    public void Its_handler_claims_no_int3()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new AlignedRel32(), w);
        rig.Machine.Memory.Poke(w.Sites[0].Address, [0xcc]);
        var cpu = rig.Machine.Cpus[Reader];
        for (int i = 0; i < 20 && cpu.State.Run != RunState.Faulted; i++) rig.Machine.Step(Reader);
        Assert.Equal(FaultKind.HandlerDeclined, cpu.State.Fault!.Kind);
        Assert.Contains("aligned-rel32 writes no int3 and has no #BP handler", cpu.State.Fault.Message);
    }

    /// <summary>
    /// Targets 0 and 1 differ in the rel32's first two bytes. Read by block16 or block32, the site's
    /// first chunk (opcode and rel32 byte 0) can be new while the next chunk (bytes 1-3) is still
    /// old: the CPU calls an address the site never held. A 64-byte line read at one moment gives
    /// old or new only.
    /// </summary>
    [Theory]
    [InlineData("block16", new[] { 0, 1 }, "torn")]
    [InlineData("block32", new[] { 0, 1 }, "torn")]
    [InlineData("block64", new[] { 0, 1 }, "new")]
    [InlineData("block64", new[] { 1 }, "old")]
    [InlineData("atomic", new[] { 0, 1 }, "new")]
    public void Under_chunked_fetch_a_straddling_rel32_tears_into_a_call_to_neither_target(string model, int[] choices, string what)
    {
        var w = Workload.Build([new SiteSpec("s0", InLineStraddling32, SiteKind.Call, 0)], targets: 10);
        var rig = new PatchRig(new AlignedRel32(), w, new PatchRigOptions { FetchModel = FetchModelRegistry.Get(model), RecordTrace = true });
        var site = w.Sites[0];
        Assert.True(rig.Patcher.Accepts(site).Accepted);
        var r = w.Request(0, 0, 1);
        Assert.NotEqual(r.Old[1], r.New[1]);
        Assert.NotEqual(r.Old[2], r.New[2]);
        byte[] torn = [r.New[0], r.New[1], r.Old[2], r.Old[3], r.Old[4]];
        byte[] expected = what switch { "torn" => torn, "new" => r.New, _ => r.Old };
        ulong calledAddress = site.Next + (ulong)(long)BitConverter.ToInt32(expected, 1);

        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        rig.Patch([r]);
        PatchTesting.StepWriterPastLock(rig);                            // the one store
        Assert.Equal(r.New, rig.Bytes(site));
        rig.Machine.UseFetchChoices(choices);
        rig.Machine.Step(Reader);                                   // the call, fetched now
        Assert.Equal(calledAddress, Rip(rig));
        Assert.Equal(site.Next, TopOfStack(rig));
        var fetch = rig.Machine.Fetches[^1];
        Assert.Equal(site.Address, fetch.Rip);
        Assert.Equal(expected, fetch.Bytes);
        if (what == "torn") Assert.DoesNotContain(calledAddress, Enumerable.Range(0, 10).Select(Workload.CallTarget));
    }
}
