using Conformance.Generators.Campaigns;
using Conformance.Patching;
using Conformance.Probe.Run;
using Conformance.Tests.Support;

namespace Conformance.Tests.Probe;

/// <summary>A counterexample of the emulator becomes the probe cell that would show it on hardware.</summary>
[Collection(ProbeHardware.Name)]
public class FromCounterexampleTests
{
    private static Conformance.Reporting.Counterexample Counterexample(string patcher, string model)
    {
        var cell = MatrixCells.Get(patcher, model, false);
        return MatrixCounterexample.Of(cell, PatcherRegistry.Get(patcher))!;
    }

    [Fact]
    public void A_torn_decode_of_aligned_rel32_becomes_its_scheme_at_its_site_s_line_offset()
    {
        var c = Counterexample("aligned-rel32", "block32");
        var cell = CounterexampleCell.Of(c, PatcherRegistry.BuiltIn);
        Assert.Equal("aligned-rel32", cell.Row.Name);
        Assert.Equal((int)(c.Violation.Site!.Address % 64), cell.Placement.LineOffset);
        Assert.Equal(32, cell.Placement.Straddle!.Value.Boundary);   // block32 tears it, block64 does not: the site crosses a 32-byte boundary
        Assert.Contains('o', cell.Pattern);
        Assert.Contains('n', cell.Pattern);
        Assert.Null(cell.Note);
    }

    [Fact]
    public void The_pattern_is_matched_where_both_layouts_change_the_byte()
    {
        var cell = new CounterexampleCell(Conformance.Probe.Rows.ProbeRows.Get("store4"), Conformance.Probe.Layout.Placement.Parse("straddle32@2"), "block32", "", "oon--", null);
        var layout = Conformance.Probe.Layout.ProbeLayout.Build(cell.Row, cell.Placement, 0);
        var counts = layout.Mixtures.Select(m => new MixtureCount(m, m.Hex switch { "e8 7e 00 11 01" => 5, "e8 be 00 10 00" => 7, _ => 0 })).ToArray();
        // o o n - -: the probe's e8 never changes, so byte 0 matches anything; then byte 1 must be old and byte 2 new.
        // e8 7e 00 11 01 has byte 2 old, e8 be 00 10 00 byte 1 new: neither matches.
        Assert.Equal(0, cell.Matching(CellObservation.Synthetic("store4", cell.Placement, counts)));
        var counts2 = layout.Mixtures.Select(m => new MixtureCount(m, m.Hex == "e8 7e 01 11 01" ? 3 : 0)).ToArray();
        Assert.Equal(3, cell.Matching(CellObservation.Synthetic("store4", cell.Placement, counts2)));   // byte 1 old, byte 2 new
    }

    [Fact]
    public void A_counterexample_of_another_property_is_refused_naming_it()
    {
        var c = Counterexample("spin-in-bp", "atomic");
        var e = Assert.Throws<ArgumentException>(() => CounterexampleCell.Of(c, PatcherRegistry.BuiltIn));
        Assert.Contains($"violates {c.Violation.Property}", e.Message);
    }

    [Fact]
    public void Probe_from_a_token_runs_the_cell_and_says_whether_the_cpu_made_the_tear()
    {
        var token = MatrixCells.Get("aligned-rel32", "block32", false).Token!.ToString();
        var (exit, output, error) = CliProcess.Run("probe", "--from", token, "--seconds", "0.05");
        if (!EngineTests.Here)
        {
            Assert.Equal(2, exit);
            Assert.Contains("x86-64 Linux", error);
            return;
        }
        Assert.True(exit is 0 or 1, error);   // 1: this CPU made the tear; which one is the hardware's business, not the test's
        Assert.Contains("probe cell: aligned-rel32 at straddle32@", output);
        Assert.Contains(exit == 1 ? "this CPU made the counterexample's tear" : "this CPU did not make the counterexample's tear", output);
    }
}
