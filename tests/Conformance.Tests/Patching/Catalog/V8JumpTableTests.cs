using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class V8JumpTableTests
{
    [Fact]
    public void It_is_registered_and_expected_to_pass_only_where_a_fetch_reads_the_line_at_once()
    {
        Assert.Equal(typeof(V8JumpTable), PatcherRegistry.Get("v8-jump-table").Type);
        Assert.Equal("pass", Declared("v8-jump-table", "atomic"));
        Assert.Equal("pass", Declared("v8-jump-table", "block64"));
        foreach (string model in new[] { "block32", "block16", "architectural" })
            Assert.Equal("fail (TornDecode)", Declared("v8-jump-table", model));
    }

    [Fact]
    public void Slots_sit_at_line_offsets_5k_and_never_cross_a_line()
    {
        var offsets = Enumerable.Range(0, 64).Where(o => V8JumpTable.IsSlot(Workload.SiteArea + (ulong)o)).ToArray();
        Assert.Equal([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55], offsets);
        Assert.All(offsets, o => Assert.True(o % 64 + 5 <= 64));
        IPatcher p = new V8JumpTable();
        Assert.Equal(V8JumpTable.NotASlot, p.Accepts(new PatchSite("s", Workload.SiteArea + 60, SiteKind.Jmp, 5)).Fallback);   // would cross the line
        Assert.Equal(V8JumpTable.NotASlot, p.Accepts(new PatchSite("s", Workload.SiteArea + 31, SiteKind.Jmp, 5)).Fallback);
        Assert.Equal(V8JumpTable.NotASlot, p.Accepts(new PatchSite("s", Workload.SiteArea + 30, SiteKind.Call, 5)).Fallback);
        var w = PatchTesting.OneSite(SiteKind.Jmp, 0, Workload.SiteArea + 30);
        Assert.True(p.Accepts(w.Request(0, 0, 1)).Accepted);
        Assert.Equal(V8JumpTable.JmpOnly, p.Accepts(w.Request(0, 0, -1)).Fallback);
    }

    [Fact]
    public void A_retarget_is_a_store_of_e9_then_one_4_byte_store_then_a_sync()
    {
        var w = Workload.Build([new SiteSpec("s0", Workload.SiteArea + 30, SiteKind.Jmp, 0)], targets: 4);   // t3 is in the far text
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new V8JumpTable(), w);
        var r = w.Request(0, 0, 3);
        rig.Patch([r]);
        FinishWriter(rig);
        var lines = BreakpointVisit.WriterLines(rig);
        var stores = lines.Where(l => l.Contains("store")).ToArray();
        Assert.Equal(2, stores.Length);
        Assert.Contains($"store8 0x{site.Address:x} <- e9", stores[0]);
        Assert.Contains($"store32 0x{site.Address + 1:x} <- {Convert.ToHexString(r.New[1..]).ToLowerInvariant()}", stores[1]);
        Assert.Contains(lines, l => l.Contains("sync_core"));
        Assert.True(Array.IndexOf(lines, stores[1]) < Array.FindLastIndex(lines, l => l.Contains("sync_core")));
        Assert.Equal(r.New, rig.Bytes(site));
        Assert.True(Memory.IsOneEvent(site.Address + 1, 4));
    }

    [Theory]
    [InlineData(30, "block32", true)]    // the 32-byte boundary after e9 and the first rel32 byte
    [InlineData(45, "block16", true)]    // the 16-byte boundary after three bytes
    [InlineData(15, "block16", false)]   // the boundary after the e9, which both jmps share: no tear
    [InlineData(30, "block64", false)]
    public void A_fetch_across_a_block_inside_the_rel32_can_mix_old_and_new(int offset, string model, bool tears)
    {
        bool torn = false;
        for (ulong seed = 0; seed < 60 && !torn; seed++)
        {
            var c = new Conformance.Checking.PatchCase([new SiteSpec("s0", Workload.SiteArea + (ulong)offset, SiteKind.Jmp, 0)],
                [[new Conformance.Checking.PlannedChange(0, 0, 3)]], 2,
                new UniformRandomStrategy().Create(seed, new ScheduleShape(Cpus: 2, Steps: 200, MaxFetchChoice: 3, FetchChoices: 24)));
            var result = Conformance.Checking.PatchCheck.Run(() => new V8JumpTable(), FetchModelRegistry.Get(model), c);
            Assert.True(result.Passed || result.First!.Property == Conformance.Checking.OldNewOrTrap.Id, $"seed {seed}: {result.First}");
            torn = !result.Passed;
        }
        Assert.Equal(tears, torn);
    }
}
