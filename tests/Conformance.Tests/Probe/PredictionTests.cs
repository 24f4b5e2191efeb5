using Conformance.Machine;
using Conformance.Probe.Layout;
using Conformance.Probe.Prediction;
using Conformance.Probe.Rows;

namespace Conformance.Tests.Probe;

/// <summary>The prediction table comes from the emulator's fetch models, and spec/probe.md holds exactly what they compute.</summary>
public class PredictionTests
{
    private static readonly Lazy<IReadOnlyList<CellPrediction>> All = new(() => PredictionTable.Compute());

    [Fact]
    public void Spec_probe_md_holds_the_table_the_fetch_models_compute()
    {
        string page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Spec", "probe.md")).Replace("\r\n", "\n");
        int begin = page.IndexOf(PredictionTable.Begin, StringComparison.Ordinal), end = page.IndexOf(PredictionTable.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "spec/probe.md has no prediction table between the markers");
        string inSpec = page[begin..(end + PredictionTable.End.Length)] + "\n";
        Assert.Equal(PredictionTable.Render(All.Value).Replace("\r\n", "\n"), inSpec);   // regenerate: dotnet run --project src/Conformance.Cli -- probe --predictions
    }

    [Fact]
    public void The_models_are_nested_so_a_cell_names_the_strongest_model_that_tears()
    {
        var order = FetchModelRegistry.BuiltIn.Select(m => m.Name).ToArray();
        foreach (var cell in All.Value.Where(c => c.Applies))
        {
            var tears = cell.Models.Select(m => m.TearPossible).ToArray();
            for (int i = 1; i < tears.Length; i++) Assert.True(!tears[i - 1] || tears[i], $"{cell.Row} at {cell.Placement}: {order[i - 1]} tears and {order[i]} does not");
            Assert.DoesNotContain(",", PredictionTable.CellText(cell));
            // Every model allows the old and the new call; a weaker model allows everything a stronger one does.
            for (int i = 0; i < cell.Models.Count; i++)
            {
                Assert.Contains(cell.Layout!.Mixtures.Single(m => m.Kind == MixtureKind.Old).Hex, cell.Models[i].Outcomes);
                Assert.Contains(cell.Layout.Mixtures.Single(m => m.Kind == MixtureKind.New).Hex, cell.Models[i].Outcomes);
                if (i > 0) Assert.Subset(cell.Models[i].Outcomes.ToHashSet(), cell.Models[i - 1].Outcomes.ToHashSet());
            }
        }
    }

    [Fact]
    public void One_store_straddling_a_16_byte_boundary_tears_under_block16_and_architectural_only_as_the_litmus_scenario_says()
    {
        var cell = Predictor.Predict(new Store4(), Placement.Parse("straddle16@2"));
        Assert.Equal(["block16", "architectural"], cell.Models.Where(m => m.TearPossible).Select(m => m.Model));
        // block16 reads [site, site+2) and [site+2, site+5) at two moments: the torn calls mix exactly there.
        var torn = cell.For("block16").Outcomes.Except(new[] { cell.Layout!.Old, cell.Layout.New }.Select(Hex)).Order().ToArray();
        Assert.Equal(2, torn.Length);
        Assert.Contains("e8 be 00 10 00", torn);    // new head, old tail
        Assert.Contains("e8 7e 01 11 01", torn);    // old head, new tail
    }

    [Fact]
    public void The_control_row_tears_under_every_model_and_nothing_tears_anywhere_under_atomic_but_the_writers_own_states()
    {
        foreach (var cell in All.Value.Where(c => c.Applies && c.Row.Name == "bytes")) Assert.True(cell.For("atomic").TearPossible);
        foreach (var cell in All.Value.Where(c => c.Applies && c.Row.Name is "store4" or "aligned-rel32" or "jmp-self-spin" or "atomic-8byte" && !c.Placement.Name.StartsWith("straddle64", StringComparison.Ordinal)))
            Assert.False(cell.For("atomic").TearPossible, $"{cell.Row} at {cell.Placement}");
    }

    [Fact]
    public void The_prediction_is_the_fetch_model_s_a_model_with_other_units_predicts_otherwise()
    {
        // A 4-byte block model (not built in): the rel32 at line offset 17..20 crosses a 4-byte boundary, so one store can tear.
        var cell = Predictor.Predict(new Store4(), Placement.Inside16, [new AtomicFetch(), new Block4Fetch()]);
        Assert.False(cell.For("atomic").TearPossible);
        Assert.True(cell.For("block4").TearPossible);
    }

    [Fact]
    public void A_spin_row_predicts_the_spin_and_the_short_jmps_of_a_torn_head()
    {
        var cell = Predictor.Predict(new SpinBytes(), Placement.Parse("straddle16@1"));
        Assert.Contains("eb fe", cell.For("atomic").Outcomes);
        Assert.Contains("eb 7e", cell.For("block16").Outcomes);    // the spin's eb with the old second byte
        Assert.DoesNotContain("eb 7e", cell.For("atomic").Outcomes);
    }

    private static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2")));

    /// <summary>Each aligned 4-byte block read at one moment: a model the emulator does not ship, to show the table follows the model's code.</summary>
    private sealed class Block4Fetch() : AlignedBlockFetch(4)
    {
        public override string Name => "block4";
        public override string Description => "4-byte blocks";
    }
}
