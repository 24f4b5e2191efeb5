using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>
/// Runs a scenario under one fetch model for every fetch choice that can matter (an exhaustive
/// walk of the choice tree: each run reports how many versions each choice had, and the next run
/// advances the last choice that has a sibling left), and collects the distinct outcomes.
/// </summary>
public static class ScenarioRunner
{
    /// <summary>Runs beyond this many mean the scenario is too big to be a litmus test.</summary>
    public const int MaxRuns = 100_000;

    /// <summary>The sorted, distinct outcomes: one line each, "fetch BYTES[, fetch BYTES...]; writer done|waiting for sync acknowledgements|unfinished".</summary>
    public static IReadOnlyList<string> Outcomes(Scenario scenario, IFetchModel model)
    {
        var outcomes = new SortedSet<string>(StringComparer.Ordinal);
        var prefix = new List<int>();
        for (int runs = 0; ; runs++)
        {
            if (runs >= MaxRuns) throw new InvalidOperationException($"scenario '{scenario.Name}' needs more than {MaxRuns} runs under {model.Name}");
            var machine = Build(scenario, model);
            machine.Run(scenario.Schedule with { FetchChoices = prefix.ToArray() });
            outcomes.Add(Outcome(scenario, machine));
            var taken = machine.FetchChoicesTaken;
            var options = machine.FetchChoiceOptions;
            int i = taken.Count - 1;
            while (i >= 0 && taken[i] >= options[i] - 1) i--;
            if (i < 0) break;
            prefix = taken.Take(i).Append(taken[i] + 1).ToList();
        }
        return outcomes.ToArray();
    }

    /// <summary>The machine a scenario describes, before its schedule runs.</summary>
    public static Machine Build(Scenario scenario, IFetchModel model, bool recordTrace = false)
    {
        var machine = new Machine(new MachineOptions
        {
            Cpus = scenario.Cpus, FetchModel = model, StalenessWindow = scenario.StalenessWindow,
            WatchedCode = scenario.Watched, RecordTrace = recordTrace,
        });
        machine.Memory.Map("text", RegionKind.Text, Scenario.TextBase, Scenario.TextSize);
        foreach (var (address, bytes) in scenario.Code) machine.Memory.Load(address, bytes);
        foreach (var (cpu, entry, off) in scenario.Readers)
        {
            machine.AddTask(cpu, $"reader{cpu}", entry);
            if (off) machine.Cpus[cpu].State.Flags &= ~RFlags.IF;
        }
        if (scenario.WriterCpu >= 0) machine.SetWriter(scenario.WriterCpu, scenario.WriterSteps);
        return machine;
    }

    private static string Outcome(Scenario scenario, Machine machine)
    {
        var fetches = machine.Fetches.Select(f => "fetch " + string.Join(' ', f.Bytes.Select(b => b.ToString("x2"))));
        string writer = scenario.WriterCpu >= 0 ? "; writer " + machine.WriterStatus(scenario.WriterCpu) : "";
        return string.Join(", ", fetches.DefaultIfEmpty("no fetch")) + writer;
    }
}
