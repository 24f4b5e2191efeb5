using Conformance.Probe.Layout;
using Conformance.Probe.Prediction;
using Conformance.Probe.Rows;
using Conformance.Probe.Run;
using Conformance.Probe.Verdict;

namespace Conformance.Tests.Probe;

/// <summary>The classification on synthetic observation tables: no hardware, so every verdict here is decided by the test.</summary>
public class ClassifierTests
{
    private static (CellPrediction, CellObservation) Observed(ProbeRow row, string placement, params (string Hex, long Count)[] torn)
    {
        var prediction = Predictor.Predict(row, Placement.Parse(placement));
        var counts = prediction.Layout!.Mixtures.Where(m => m.Kind != MixtureKind.Holding)
            .Select(m => new MixtureCount(m, m.Kind is MixtureKind.Old or MixtureKind.New ? 1_000_000 : torn.FirstOrDefault(t => t.Hex == m.Hex).Count))
            .ToArray();
        foreach (var (hex, _) in torn) Assert.Contains(counts, c => c.Mixture.Hex == hex);   // the test names real mixtures
        return (prediction, CellObservation.Synthetic(row.Name, prediction.Placement, counts));
    }

    [Fact]
    public void No_tear_seen_contradicts_nothing_and_the_tightest_model_is_atomic()
    {
        var verdict = Classifier.Classify([Observed(new Store4(), "straddle16@2"), Observed(new SpinBytes(), "straddle64@3"), Observed(new Store8(), "inside16")]);
        Assert.All(verdict.Models, m => Assert.False(m.Contradicted));
        Assert.Equal("atomic", verdict.Tightest);
    }

    [Fact]
    public void A_tear_across_a_16_byte_boundary_under_one_store_contradicts_the_models_that_forbid_it()
    {
        // New head (bytes 0-1, below the boundary) with the old tail: block16 allows it, atomic, block64 and block32 do not.
        var verdict = Classifier.Classify([Observed(new Store4(), "straddle16@2", ("e8 be 00 10 00", 3)), Observed(new Store4(), "inside16")]);
        Assert.Equal(["atomic", "block64", "block32"], verdict.Models.Where(m => m.Contradicted).Select(m => m.Model));
        Assert.Equal("block16", verdict.Tightest);
        var evidence = verdict.Models[0].Evidence.Single();
        Assert.Equal(3, evidence.Count);
        Assert.Equal("straddle16@2", evidence.Placement.Name);
    }

    [Fact]
    public void A_tear_inside_one_fetch_block_contradicts_every_block_model()
    {
        // Bytes 2 and 3 both lie above the 16-byte boundary, yet one is old and one new: only byte-wise fetch reads that.
        var verdict = Classifier.Classify([Observed(new Store4(), "straddle16@2", ("e8 be 01 10 00", 1))]);
        Assert.Equal(["atomic", "block64", "block32", "block16"], verdict.Models.Where(m => m.Contradicted).Select(m => m.Model));
        Assert.Equal("architectural", verdict.Tightest);
    }

    [Fact]
    public void The_writer_s_own_torn_states_contradict_nothing()
    {
        var verdict = Classifier.Classify([Observed(new ByteStores(), "inside16", ("e8 be 00 10 00", 500), ("e8 be 01 11 00", 70))]);
        Assert.All(verdict.Models, m => Assert.False(m.Contradicted));
        Assert.Equal("atomic", verdict.Tightest);
    }

    [Fact]
    public void A_spin_row_tear_reading_head_and_tail_at_two_moments_contradicts_atomic_only_where_a_block_splits_them()
    {
        // jmp-self-spin across a 64-byte line after 2 bytes: the new head with the old tail.
        var verdict = Classifier.Classify([Observed(ProbeRows.Get("jmp-self-spin"), "straddle64@2", ("e8 be 00 10 00", 2))]);
        Assert.Equal(["atomic"], verdict.Models.Where(m => m.Contradicted).Select(m => m.Model));
        Assert.Equal("block64", verdict.Tightest);
    }

    [Fact]
    public void The_95_percent_bound_with_no_tear_is_the_exact_binomial_one_near_the_rule_of_three()
    {
        Assert.Equal(0.95, TearBound.Upper95WhenNone(1)!.Value, 12);
        double n = 3_000_000, bound = TearBound.Upper95WhenNone((long)n)!.Value;
        Assert.InRange(bound * n, 2.99, 3.0);                           // -ln(0.05) = 2.996
        Assert.Equal(0.05, Math.Pow(1 - bound, n), 6);                  // (1 - p)^n = 0.05 at the bound
        Assert.Null(TearBound.Upper95WhenNone(0));
    }

    [Fact]
    public void The_text_report_names_the_contradicted_models_and_the_tightest_one()
    {
        var verdict = Classifier.Classify([Observed(new Store4(), "straddle16@2", ("e8 be 00 10 00", 3))]);
        string text = ProbeText.Verdict(verdict);
        Assert.Contains("atomic: CONTRADICTED by 1 torn mixture, e.g. store4 at straddle16@2: 3 calls of e8 be 00 10 00", text);
        Assert.Contains("block16: consistent", text);
        Assert.Contains("tightest model consistent with this CPU: block16", text);
    }
}
