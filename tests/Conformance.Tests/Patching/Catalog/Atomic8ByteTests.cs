using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class Atomic8ByteTests
{
    [Theory]
    [InlineData("atomic", "pass")]
    [InlineData("block64", "pass")]
    [InlineData("block32", "pass")]
    [InlineData("block16", "pass")]
    [InlineData("architectural", "fail (TornDecode)")]
    public void It_is_expected_to_pass_unless_fetch_is_byte_granular(string model, string verdict)
    {
        Assert.Equal(typeof(Atomic8Byte), PatcherRegistry.Get("atomic-8byte").Type);
        Assert.Equal(verdict, Declared("atomic-8byte", model));
        Assert.All(PatcherRegistry.Get("atomic-8byte").Expectations, e => Assert.Contains("neighbour patched at the same time", e.Reason));
    }

    /// <summary>0x400050: 8-byte aligned.</summary>
    private const ulong Aligned = Workload.SiteArea + 0x10;

    [Theory]
    [InlineData(0x10, true)]
    [InlineData(0x08, true)]
    [InlineData(0x12, false)]
    [InlineData(0x14, false)]
    [InlineData(0x3e, false)]
    public void It_accepts_only_sites_whose_8_bytes_are_8_byte_aligned(int offset, bool accepted)
    {
        var decision = new Atomic8Byte().Accepts(new PatchSite("s", Workload.SiteArea + (ulong)offset, SiteKind.Nop5, 5));
        Assert.Equal(accepted, decision.Accepted);
        Assert.Equal(accepted ? null : "falls back to text_poke_bp", decision.Fallback);
    }

    [Fact]
    public void One_8_byte_store_carries_the_new_call_and_the_3_bytes_after_the_site_in_one_tick()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, Aligned);
        var rig = PatchTesting.Rig(new Atomic8Byte(), w);
        var site = w.Sites[0];
        var r = w.Request(0, -1, 1);
        byte[] before = Read(rig, site.Address, 8);
        byte[] after = before[5..];
        Assert.Equal(Forms.Jmp(site.Next, Workload.Entry)[..3], after);   // the loop's jmp after the site: e9 and 2 bytes of its rel32

        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, site);
        Assert.Equal(PatchTesting.Hex([r.Old, r.New]), PatchTesting.Hex(states));
        byte[] stored = [.. r.New, .. after];
        Assert.Equal(stored, Read(rig, site.Address, 8));

        var writer = rig.Machine.Trace.Where(l => l.Contains("writer: store")).Select(l => l[l.IndexOf("writer")..]).ToArray();
        Assert.Single(writer);
        Assert.StartsWith($"writer: store64 0x400050 <- {Convert.ToHexString(stored).ToLowerInvariant()} (t=", writer[0]);
        long t = long.Parse(writer[0][(writer[0].IndexOf("(t=") + 3)..^1]);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(before[i], rig.Machine.Memory.ByteAt(site.Address + (ulong)i, t - 1));
            Assert.Equal(stored[i], rig.Machine.Memory.ByteAt(site.Address + (ulong)i, t));
        }
    }

    [Fact]
    public void The_3_trailing_bytes_are_read_when_the_store_is_made()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, Aligned);
        var rig = PatchTesting.Rig(new Atomic8Byte(), w);
        var site = w.Sites[0];
        rig.Patch([w.Request(0, -1, 1)]);
        rig.Machine.Memory.Poke(site.Next, [0xcc, 0x11, 0x22]);   // someone else changes the next instruction after Patch() was called
        PatchTesting.StepWriterPastLock(rig);
        Assert.Equal("cc 11 22", Forms.Hex(Read(rig, site.Next, 3)));   // the snapshot is what was there at the store
        Assert.Equal(w.InstructionFor(0, 1), rig.Bytes(site));
    }

    [Fact]
    public void It_writes_no_int3_and_its_handler_claims_none()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, Aligned);
        var rig = PatchTesting.Rig(new Atomic8Byte(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        for (int i = 0; i < 100 && !rig.Machine.WritersDone; i++)
            if (rig.Machine.Step(rig.WriterCpu) == MachineStepKind.Waiting) { rig.Machine.Step(Reader); rig.Machine.Step(Reader); }   // the reader takes the final sync
        Assert.True(rig.Machine.WritersDone);
        Assert.DoesNotContain(rig.Machine.Trace, l => l.Contains("<- cc"));
        Assert.Single(rig.Machine.Trace, l => l.Contains("sync_core: IPI sent"));   // one sync, at the end
        Assert.False(rig.Patcher.OnBreakpoint(null!).Handled);
    }

    /// <summary>
    /// NOP5 to call: every byte differs. Read byte by byte (architectural), the fetch can take the
    /// new e8 and the NOP's old tail: a call to site+5+0x441f, neither the NOP nor the call. An
    /// aligned 8-byte unit lies in one 16-byte block, so block16 reads old or new.
    /// </summary>
    [Theory]
    [InlineData("architectural", new[] { 0, 1, 1, 1, 1 }, "e8 1f 44 00 00")]
    [InlineData("architectural", new[] { 1, 1, 1, 1, 1 }, "0f 1f 44 00 00")]
    [InlineData("block16", new[] { 0, 1, 1, 1, 1 }, "new")]
    [InlineData("block16", new[] { 1 }, "0f 1f 44 00 00")]
    [InlineData("block32", new[] { 0, 1 }, "new")]
    public void Only_byte_granular_fetch_can_mix_the_old_and_the_new_bytes(string model, int[] choices, string fetched)
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, Aligned);
        var rig = new PatchRig(new Atomic8Byte(), w, new PatchRigOptions { FetchModel = FetchModelRegistry.Get(model), RecordTrace = true });
        var site = w.Sites[0];
        if (fetched == "new") fetched = Forms.Hex(w.InstructionFor(0, 1));
        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        rig.Patch([w.Request(0, -1, 1)]);
        PatchTesting.StepWriterPastLock(rig);
        rig.Machine.UseFetchChoices(choices);
        rig.Machine.Step(Reader);
        var fetch = rig.Machine.Fetches[^1];
        Assert.Equal(site.Address, fetch.Rip);
        Assert.Equal(fetched, Forms.Hex(fetch.Bytes));
        ulong expectedRip = fetched switch
        {
            "e8 1f 44 00 00" => site.Next + 0x441f,                 // torn: a call into nowhere
            "0f 1f 44 00 00" => site.Next,                          // old: the NOP
            _ => Workload.CallTarget(1),                            // new: the call
        };
        Assert.Equal(expectedRip, Rip(rig));
    }
}
