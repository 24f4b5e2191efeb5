using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Scanning;
using FsCheck.Fluent;

namespace Conformance.Tests.Scanning;

/// <summary>Layouts from reality: sites drawn from a scanned distribution, deterministically, and kept through shrinking.</summary>
public class LayoutsTests
{
    private static PatchCaseGenome[] Draw(SiteLayouts layouts, int count, ulong seed = PropertySettings.DefaultSeed) =>
        PatchCaseGen.Genome(4, layouts).Sample(40, new FsCheck.Rnd(seed, PropertySettings.DefaultGamma), count);

    [Fact]
    public void Every_draw_falls_in_a_bin_as_often_as_the_bin_has_sites()
    {
        var layouts = new SiteLayouts([new LayoutBin(SiteKind.Jmp, 30, 3), new LayoutBin(SiteKind.Call, 62, 1), new LayoutBin(SiteKind.Call, 5, 2)]);
        Assert.Equal(6, layouts.Total);
        var drawn = Enumerable.Range(0, 6).Select(r => layouts.At(r)).Select(b => $"{b.Kind}@{b.LineOffset}").ToArray();
        Assert.Equal(["Call@5", "Call@5", "Call@62", "Jmp@30", "Jmp@30", "Jmp@30"], drawn);
        Assert.Throws<ArgumentOutOfRangeException>(() => layouts.At(6));
    }

    [Fact]
    public void The_digest_depends_on_the_bins_not_on_their_order()
    {
        var a = new SiteLayouts([new LayoutBin(SiteKind.Jmp, 30, 3), new LayoutBin(SiteKind.Call, 62, 1)]);
        var b = new SiteLayouts([new LayoutBin(SiteKind.Call, 62, 1), new LayoutBin(SiteKind.Jmp, 30, 2), new LayoutBin(SiteKind.Jmp, 30, 1)]);
        var c = new SiteLayouts([new LayoutBin(SiteKind.Call, 62, 1), new LayoutBin(SiteKind.Jmp, 30, 4)]);
        Assert.Equal(a.Digest, b.Digest);
        Assert.NotEqual(a.Digest, c.Digest);
        Assert.Throws<ArgumentException>(() => new SiteLayouts([]));
        Assert.Throws<ArgumentException>(() => new SiteLayouts([new LayoutBin(SiteKind.Call, 64, 1)]));
    }

    [Fact]
    public void Generated_sites_take_their_kind_and_line_offset_from_the_scan_in_proportion()
    {
        var layouts = new SiteLayouts([new LayoutBin(SiteKind.Jmp, 30, 3), new LayoutBin(SiteKind.Nop5, 61, 1)]);
        var sites = Draw(layouts, 400).SelectMany(g => g.Sites).ToArray();
        Assert.All(sites, s => Assert.True(
            (s.Kind, s.Offset) == (PatchCaseRealizer.KindIndex(SiteKind.Jmp), 30) || (s.Kind, s.Offset) == (PatchCaseRealizer.KindIndex(SiteKind.Nop5), 61), s.ToString()));
        double jmp = (double)sites.Count(s => s.Offset == 30) / sites.Length;
        Assert.InRange(jmp, 0.65, 0.85);
        // A patcher that accepts the drawn place gets exactly it, at the same line offset.
        var patcher = PatcherRegistry.Get("text-poke-bp").Create();
        foreach (var g in Draw(layouts, 50))
            foreach (var s in PatchCaseRealizer.Realize(g, patcher).Sites)
                Assert.True((s.Kind, s.Address % 64) is (SiteKind.Jmp, 30) or (SiteKind.Nop5, 61), $"{s.Kind} at line offset {s.Address % 64}");
    }

    [Fact]
    public void The_same_seed_draws_the_same_cases_and_shrinking_keeps_the_drawn_layouts()
    {
        var layouts = SiteLayouts.FromSites(ScanData.Scan(ScanData.Object).Sites);
        Assert.Equal(Draw(layouts, 30).Select(g => g.ToString()), Draw(layouts, 30).Select(g => g.ToString()));
        var drawn = layouts.Bins.Select(b => (PatchCaseRealizer.KindIndex(b.Kind), b.LineOffset)).ToHashSet();
        foreach (var g in Draw(layouts, 30))
            foreach (var shrunk in PatchCaseGen.Shrink(g))
                Assert.All(shrunk.Sites, s => Assert.Contains((s.Kind, s.Offset), drawn));
    }

    /// <summary>
    /// aligned-rel32 under block16, its sites drawn from the hand-made module: the static call
    /// straddling a 16-byte block after byte 2 has its rel32 torn across two fetch chunks (fail),
    /// the fentry call inside one word does not (pass), and the call whose rel32 crosses the line is
    /// declined (falls back to the trampoline). The shares follow from the sites in each class.
    /// </summary>
    [Fact]
    public void By_class_verdicts_are_weighed_by_the_sites_in_each_class()
    {
        var layouts = SiteLayouts.FromSites(ScanData.Scan(ScanData.Object).Sites);
        var patcher = PatcherRegistry.Get("aligned-rel32");
        var verdicts = ClassCampaign.Run(patcher, FetchModelRegistry.BuiltIn.Single(m => m.Name == "block16"), layouts, runs: 20, PropertySettings.DefaultSeed, maxCpus: 3, failRuns: 300);
        ClassVerdict Class(SiteKind kind, string c) => verdicts.Single(v => v.Kind == kind && v.Class == AlignmentClass.Parse(c));
        Assert.False(Class(SiteKind.Call, "s16@2").Passed);
        Assert.Equal(OldNewOrTrapId, Class(SiteKind.Call, "s16@2").Property);
        Assert.True(Class(SiteKind.Call, "fits8").Passed);
        Assert.Null(Class(SiteKind.Call, "s64@2").Passed);       // declined: its rel32 crosses the line
        Assert.Null(Class(SiteKind.Jmp, "s8@3").Passed);         // declined: not a call
        var coverage = ClassCoverage.Weigh(patcher.Name, "block16", verdicts);
        Assert.Equal((12L, 1L, 1L, 10L), (coverage.Sites, coverage.Passing, coverage.Failing, coverage.FallingBack));

        // The failing class's token replays its case from the whole distribution, and only from it.
        var token = ReplayToken.Parse(Class(SiteKind.Call, "s16@2").Token!);
        Assert.Equal("Call/s16@2", token.LayoutClass);
        Assert.False(MatrixCampaign.Replay(token, PatcherRegistry.BuiltIn, layouts).Passed);
        Assert.Throws<ArgumentException>(() => MatrixCampaign.Replay(token, PatcherRegistry.BuiltIn));
        Assert.Throws<ArgumentException>(() => MatrixCampaign.Replay(token, PatcherRegistry.BuiltIn, SiteLayouts.FromSites(ScanData.Scan(ScanData.Vmlinux).Sites)));
    }

    private const string OldNewOrTrapId = Conformance.Checking.OldNewOrTrap.Id;

    [Fact]
    public void Weighing_counts_every_site_once_and_refuses_inconsistent_verdicts()
    {
        var c = ClassCoverage.Weigh("p", "m",
        [
            new ClassVerdict(SiteKind.Call, AlignmentClass.Parse("fits8"), 50, 40, true),
            new ClassVerdict(SiteKind.Call, AlignmentClass.Parse("s16@2"), 30, 30, false),
            new ClassVerdict(SiteKind.Jmp, AlignmentClass.Parse("fits8"), 20, 0, null),
        ]);
        Assert.Equal((100L, 40L, 30L, 30L), (c.Sites, c.Passing, c.Failing, c.FallingBack));
        Assert.Throws<ArgumentException>(() => ClassCoverage.Weigh("p", "m", [new ClassVerdict(SiteKind.Call, default, 5, 6, true)]));
        Assert.Throws<ArgumentException>(() => ClassCoverage.Weigh("p", "m", [new ClassVerdict(SiteKind.Call, default, 5, 3, null)]));
    }

    [Fact]
    public void A_token_carries_the_layouts_digest_and_class()
    {
        var t = new ReplayToken("text-poke-bp", "atomic", false, 4, 1, 3, 3) { Layouts = "0123456789abcdef", LayoutClass = "Call/s16@2" };
        Assert.Contains("0123456789abcdef", t.ToString());
        Assert.Equal(t, ReplayToken.Parse(t.ToString()));
        var pct = t with { Strategy = "pct", LayoutClass = null };
        Assert.Equal(pct, ReplayToken.Parse(pct.ToString()));
        var plain = t with { Layouts = null, LayoutClass = null };
        Assert.DoesNotContain("0123456789abcdef", plain.ToString());
        Assert.Null(ReplayToken.Parse(plain.ToString()).Layouts);
    }
}
