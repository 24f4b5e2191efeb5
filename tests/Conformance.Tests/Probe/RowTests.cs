using Conformance.Machine;
using Conformance.Patching;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Rows;

namespace Conformance.Tests.Probe;

/// <summary>The rows' store sequences: the shapes as specified, the schemes as their patchers' own steps.</summary>
public class RowTests
{
    private static string Cycle(ProbeRow row, string placement) => ProbeLayout.Build(row, Placement.Parse(placement), 0x40_0000).Cycle.ToString();

    [Fact]
    public void Aligned_rel32_replays_its_one_4_byte_store_each_way()
    {
        Assert.Equal("store32 site+1 <- be011101; store32 site+1 <- 7e001000", Cycle(ProbeRows.Get("aligned-rel32"), "straddle16@2"));
        Assert.StartsWith("n/a: aligned-rel32 declines the site: keeps calling", Cycle(ProbeRows.Get("aligned-rel32"), "straddle64@2"));
    }

    [Fact]
    public void Atomic_8byte_stores_the_call_and_the_three_bytes_it_read_after_it()
    {
        var layout = ProbeLayout.Build(ProbeRows.Get("atomic-8byte"), Placement.Inside16, 0x40_0000);
        string after = Convert.ToHexString(layout.ReaderImage[(0x800 + 16 + 5)..(0x800 + 16 + 8)]).ToLowerInvariant();   // the loop's first bytes
        Assert.Equal($"store64 site+0 <- e8be011101{after}; store64 site+0 <- e87e001000{after}", layout.Cycle.ToString());
        Assert.False(ProbeLayout.Build(ProbeRows.Get("atomic-8byte"), Placement.Parse("straddle16@1"), 0x40_0000).Cycle.Applies);
    }

    [Fact]
    public void Naive_text_poke_and_jmp_self_spin_replay_their_steps()
    {
        Assert.Equal("store8 site+0 <- e8; store8 site+1 <- be; store8 site+2 <- 01; store8 site+3 <- 11; store8 site+4 <- 01; " +
                     "store8 site+0 <- e8; store8 site+1 <- 7e; store8 site+2 <- 00; store8 site+3 <- 10; store8 site+4 <- 00",
            Cycle(ProbeRows.Get("naive-text-poke"), "inside16"));
        Assert.Equal("store16 site+0 <- ebfe; store32 site+1 <- fe011101; store16 site+0 <- e8be; " +
                     "store16 site+0 <- ebfe; store32 site+1 <- fe001000; store16 site+0 <- e87e",
            Cycle(ProbeRows.Get("jmp-self-spin"), "straddle32@3"));
    }

    [Fact]
    public void A_scheme_row_follows_the_patcher_s_steps_not_a_copy_of_them()
    {
        // A patcher the probe has never seen: its 3-byte store becomes x86 pieces (2 then 1) in address order.
        var row = new SchemeRow(new PatcherInfo("halves", "", "", [], typeof(HalvesPatcher), true));
        Assert.Equal("store8 site+1 <- be; store16 site+2 <- 0111; store8 site+4 <- 01; store8 site+1 <- 7e; store16 site+2 <- 0010; store8 site+4 <- 00",
            Cycle(row, "inside16"));
    }

    [Fact]
    public void The_shapes_store_what_their_names_say()
    {
        Assert.Equal("store8 site+1 <- be; store8 site+2 <- 01; store8 site+3 <- 11; store8 site+4 <- 01; store8 site+1 <- 7e; store8 site+2 <- 00; store8 site+3 <- 10; store8 site+4 <- 00",
            Cycle(new ByteStores(), "inside16"));
        Assert.Equal("store16 site+1 <- be01; store16 site+1 <- 7e00", Cycle(new Store2(), "inside16"));
        Assert.StartsWith("store64 site+0 <- e8be011101", Cycle(new Store8(), "straddle64@1"));
        Assert.Equal("n/a: no aligned quadword holds the site", Cycle(new Aligned8(), "straddle16@4"));
        Assert.StartsWith("store64 site-2 <- ", Cycle(new Aligned8(), "offset18"));
        Assert.Equal("store16 site+0 <- ebfe; store8 site+2 <- 01; store8 site+3 <- 11; store8 site+4 <- 01; store16 site+0 <- e8be; " +
                     "store16 site+0 <- ebfe; store8 site+2 <- 00; store8 site+3 <- 10; store8 site+4 <- 00; store16 site+0 <- e87e",
            Cycle(new SpinBytes(), "inside16"));
    }

    [Fact]
    public void A_scheme_that_writes_an_int3_or_waits_on_the_machine_is_refused_with_the_reason()
    {
        var int3 = Assert.Throws<ProbeUnavailableException>(() => ProbeLayout.Build(ProbeRows.Get("text-poke-bp"), Placement.Inside16, 0x40_0000));
        Assert.Contains("cc", int3.Message);
        Assert.Contains("int3-free", int3.Message);
        var row = new SchemeRow(new PatcherInfo("waits", "", "", [], typeof(WaitingPatcher), true));
        var waits = Assert.Throws<ProbeUnavailableException>(() => ProbeLayout.Build(row, Placement.Inside16, 0x40_0000));
        Assert.Contains("waits on the machine", waits.Message);
    }

    [Fact]
    public void An_unknown_row_or_placement_is_refused_listing_the_known_ones()
    {
        Assert.Contains("known: bytes, store2", Assert.Throws<ArgumentException>(() => ProbeRows.Get("store3")).Message);
        Assert.Contains("known: inside16, straddle16@1", Assert.Throws<ArgumentException>(() => Placement.Parse("straddle8@1")).Message);
        Assert.Throws<ArgumentException>(() => Placement.Parse("offset64"));
        Assert.Equal(Placement.Parse("straddle32@2"), Placement.Parse("offset30"));
    }

    [Fact]
    public void Placements_straddle_where_their_names_say()
    {
        foreach (var p in Placement.All.Skip(1))
        {
            var (boundary, after) = p.Straddle!.Value;
            Assert.Equal(p.Name, $"straddle{boundary}@{after}");
        }
        Assert.Null(Placement.Inside16.Straddle);
    }

    /// <summary>Waits for a condition between its stores, which hardware cannot replay.</summary>
    public sealed class WaitingPatcher : IPatcher
    {
        public string Name => "waits";
        public string Description => "test";
        public string Source => "test";
        public IReadOnlyList<Expectation> Expectations => [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
        {
            yield return PatchContext.Store(batch[0].Site.Address + 1, batch[0].New[1..5]);
            yield return new WriterStep.WaitUntil("the moon", () => true);
        }
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("none");
    }

    /// <summary>Writes the displacement as a 1-byte store, a 3-byte store (not one x86 mov) and a 1-byte store.</summary>
    public sealed class HalvesPatcher : IPatcher
    {
        public string Name => "halves";
        public string Description => "test";
        public string Source => "test";
        public IReadOnlyList<Expectation> Expectations => [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
        {
            var r = batch[0];
            yield return PatchContext.Store(r.Site.Address + 1, r.New[1]);
            yield return PatchContext.Store(r.Site.Address + 2, r.New[2..5]);
            yield return PatchContext.Sync();
        }
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("none");
    }
}
