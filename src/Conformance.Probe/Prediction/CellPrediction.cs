using Conformance.Machine;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Rows;

namespace Conformance.Probe.Prediction;

/// <summary>What one fetch model allows a CPU to execute at the site of one cell: the instructions (hex) it can read.</summary>
public sealed record ModelPrediction(string Model, IReadOnlyList<string> Outcomes, bool TearPossible)
{
    public bool Allows(Mixture mixture) => Outcomes.Contains(mixture.Hex);
}

/// <summary>
/// A cell's prediction: for every fetch model, the instructions the emulator's fetcher can read at
/// the site while the writer runs the cell's stores, and so whether a tear is possible there.
/// </summary>
public sealed record CellPrediction(ProbeRow Row, Placement Placement, string? NotApplicable, ProbeLayout? Layout, IReadOnlyList<ModelPrediction> Models)
{
    public bool Applies => NotApplicable is null;

    public ModelPrediction For(string model) => Models.FirstOrDefault(m => m.Model == model)
        ?? throw new ArgumentException($"no prediction for model '{model}'");
}

/// <summary>
/// Predicts a cell by running the emulator on it: a 2-CPU machine with the reader's page, the
/// writer running the cell's stores (one cycle: old to new to old), then one fetch of the site by
/// the reader, under each fetch model, for every choice of the moments its fetch units are read
/// (the scenario runner's exhaustive walk of the choice tree). The reader has not serialized since
/// before the first store and the cycle is far shorter than the staleness window, so its one fetch
/// can read each unit as it was at any moment of the cycle: everything a fetch at any point of a
/// repeated cycle could read. Nothing about the models is restated here: the units are the models'
/// <see cref="IFetchModel.UnitOf"/>, the moments the fetcher's.
/// </summary>
public static class Predictor
{
    /// <summary>Where the emulator's copy of the reader's page lives (the scenarios' text base).</summary>
    public const ulong EmulatorBase = Scenario.TextBase;

    public static CellPrediction Predict(ProbeRow row, Placement placement, IReadOnlyList<IFetchModel>? models = null)
    {
        var layout = ProbeLayout.Build(row, placement, EmulatorBase);
        models ??= FetchModelRegistry.BuiltIn;
        if (!layout.Cycle.Applies) return new CellPrediction(row, placement, layout.Cycle.NotApplicable, null, []);
        var scenario = ScenarioOf(layout);
        var known = layout.Mixtures.ToDictionary(m => m.Hex, m => m);
        var predictions = new List<ModelPrediction>();
        foreach (var model in models)
        {
            var outcomes = Outcomes(scenario, model);
            foreach (var o in outcomes)
                if (!known.ContainsKey(o))
                    throw new InvalidOperationException($"{row.Name} at {placement} under {model.Name}: the emulator fetched {o}, which the layout has no stub for");
            bool tear = outcomes.Any(o => known[o].Kind == MixtureKind.Torn);
            predictions.Add(new ModelPrediction(model.Name, outcomes, tear));
        }
        return new CellPrediction(row, placement, null, layout, predictions);
    }

    /// <summary>The cell as a litmus scenario: CPU 1 writes the cycle, then CPU 0 fetches the site once.</summary>
    public static Scenario ScenarioOf(ProbeLayout layout)
    {
        var steps = layout.Cycle.Stores.Select(s => (WriterStep)new WriterStep.Store(layout.Site + (ulong)(long)s.Offset, s.Bytes)).ToArray();
        var schedule = new Schedule([new ScheduleRun(1, steps.Length), new ScheduleRun(0, 1)], [], []);
        return new Scenario($"probe-{layout.Row.Name}-{layout.Placement.Name}", $"{layout.Row.Name} at {layout.Placement}", 2,
            [(layout.Base, layout.ReaderImage)], [(0, layout.Site, false)], 1, steps, [(layout.Site, layout.Site + 5)], schedule, 256);
    }

    /// <summary>The distinct instructions (hex) the reader's one fetch can read, over every fetch choice.</summary>
    private static IReadOnlyList<string> Outcomes(Scenario scenario, IFetchModel model)
    {
        var outcomes = new SortedSet<string>(StringComparer.Ordinal);
        // One machine, reset between runs (the writer is set after the initial state is marked).
        var machine = ScenarioRunner.Build(scenario with { WriterCpu = -1 }, model);
        machine.MarkInitial();
        var prefix = new List<int>();
        for (int runs = 0; ; runs++)
        {
            if (runs >= ScenarioRunner.MaxRuns) throw new InvalidOperationException($"{scenario.Name} needs more than {ScenarioRunner.MaxRuns} runs under {model.Name}");
            if (runs > 0) machine.Reset();
            machine.SetWriter(scenario.WriterCpu, scenario.WriterSteps);
            machine.Run(scenario.Schedule with { FetchChoices = prefix.ToArray() });
            if (machine.Fetches.Count != 1) throw new InvalidOperationException($"{scenario.Name}: the reader fetched the site {machine.Fetches.Count} times, not once");
            outcomes.Add(string.Join(' ', machine.Fetches[0].Bytes.Select(b => b.ToString("x2"))));
            var taken = machine.FetchChoicesTaken;
            var options = machine.FetchChoiceOptions;
            int i = taken.Count - 1;
            while (i >= 0 && taken[i] >= options[i] - 1) i--;
            if (i < 0) break;
            prefix = taken.Take(i).Append(taken[i] + 1).ToList();
        }
        return outcomes.ToArray();
    }
}
