using Conformance.Probe.Layout;
using Conformance.Probe.Prediction;
using Conformance.Probe.Run;

namespace Conformance.Probe.Verdict;

/// <summary>A model forbids what the hardware did: this mixture, this many times, in this cell.</summary>
public sealed record Contradiction(string Model, string Row, Placement Placement, Mixture Mixture, long Count)
{
    public override string ToString() => $"{Row} at {Placement}: {Count} call{(Count == 1 ? "" : "s")} of {Mixture.Hex} ({Mixture.Instruction}), which {Model} forbids";
}

/// <summary>One model against the observations: contradicted or not, and by what.</summary>
public sealed record ModelVerdict(string Model, IReadOnlyList<Contradiction> Evidence)
{
    public bool Contradicted => Evidence.Count > 0;
}

/// <summary>Every model's verdict, strongest first, and the strongest model no observation contradicts.</summary>
public sealed record ProbeVerdict(IReadOnlyList<ModelVerdict> Models, string? Tightest);

/// <summary>
/// Which fetch models the observations contradict. A model is contradicted by a cell when the
/// reader executed (count above zero) a mixture the model's prediction for that cell does not
/// contain: a torn call the model forbids. Old and new calls are allowed by every model, and a
/// mixture never seen contradicts nothing: seeing no tear is never evidence against a model.
/// The tightest consistent model is the first of the predictions' models (strongest first: the
/// registry's order) that nothing contradicts.
/// </summary>
public static class Classifier
{
    public static ProbeVerdict Classify(IReadOnlyList<(CellPrediction Prediction, CellObservation Observation)> cells)
    {
        var models = cells.Select(c => c.Prediction).FirstOrDefault(p => p.Applies)?.Models.Select(m => m.Model).ToArray() ?? [];
        var verdicts = models.Select(model => new ModelVerdict(model, Evidence(cells, model))).ToArray();
        return new ProbeVerdict(verdicts, verdicts.FirstOrDefault(v => !v.Contradicted)?.Model);
    }

    private static Contradiction[] Evidence(IReadOnlyList<(CellPrediction Prediction, CellObservation Observation)> cells, string model) =>
        (from c in cells
         where c.Prediction.Applies
         let prediction = c.Prediction.For(model)
         from count in c.Observation.Counts
         where count.Count > 0 && !prediction.Allows(count.Mixture)
         select new Contradiction(model, c.Observation.Row, c.Observation.Placement, count.Mixture, count.Count)).ToArray();

    /// <summary>The calls of a cell's torn mixtures that <paramref name="model"/> forbids (with <c>atomic</c>: the tears no writer alone can make).</summary>
    public static long TearsForbiddenBy(CellPrediction prediction, CellObservation observation, string model) =>
        prediction.Applies ? observation.Counts.Where(c => c.Mixture.Kind == MixtureKind.Torn && !prediction.For(model).Allows(c.Mixture)).Sum(c => c.Count) : 0;
}
