namespace Conformance.Machine;

/// <summary>One scenario's verification: the outcome lines expected and found, per model.</summary>
public sealed record ScenarioCheck(string Name, IReadOnlyList<string> Expected, IReadOnlyList<string> Actual)
{
    public bool Matches => Expected.SequenceEqual(Actual, StringComparer.Ordinal);

    /// <summary>Lines only expected (-) and only found (+).</summary>
    public string Diff => string.Join(Environment.NewLine,
        Expected.Except(Actual).Select(l => $"- {l}").Concat(Actual.Except(Expected).Select(l => $"+ {l}")));
}

/// <summary>
/// The herd-style driver over <c>spec/scenarios</c>: each <c>NAME.scenario</c> has a
/// <c>NAME.expected</c> beside it listing "model: outcome" lines. <see cref="Verify"/> compares,
/// <see cref="Promote"/> rewrites the expected files from what the machine does (review the diff
/// before committing).
/// </summary>
public static class ScenarioDriver
{
    public const string ScenarioExtension = ".scenario", ExpectedExtension = ".expected";

    public static IReadOnlyList<string> ScenarioFiles(string directory) =>
        Directory.GetFiles(directory, "*" + ScenarioExtension).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>Every outcome line of a scenario under every model: "model: outcome", models in registry order.</summary>
    public static IReadOnlyList<string> Actual(Scenario scenario, IEnumerable<IFetchModel>? models = null) =>
        (models ?? FetchModelRegistry.BuiltIn)
            .SelectMany(m => ScenarioRunner.Outcomes(scenario, m).Select(o => $"{m.Name}: {o}"))
            .ToArray();

    /// <summary>Parses an expected file's text: its non-comment, non-blank lines.</summary>
    public static IReadOnlyList<string> ExpectedLines(string text) =>
        text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    public static ScenarioCheck Check(string scenarioFile, string? expectedText = null)
    {
        string name = Path.GetFileNameWithoutExtension(scenarioFile);
        var scenario = Scenario.Parse(name, File.ReadAllText(scenarioFile));
        string expectedFile = Path.ChangeExtension(scenarioFile, ExpectedExtension);
        expectedText ??= File.Exists(expectedFile) ? File.ReadAllText(expectedFile) : "";
        return new ScenarioCheck(name, ExpectedLines(expectedText), Actual(scenario));
    }

    public static IReadOnlyList<ScenarioCheck> Verify(string directory) => ScenarioFiles(directory).Select(f => Check(f)).ToArray();

    /// <summary>Writes every expected file from the machine's outcomes; returns the scenarios whose file changed.</summary>
    public static IReadOnlyList<string> Promote(string directory)
    {
        var changed = new List<string>();
        foreach (var file in ScenarioFiles(directory))
        {
            var check = Check(file);
            if (check.Matches) continue;
            string text = $"# Outcomes of {check.Name} under each fetch model: \"model: what the watched fetches read; whether the writer finished\".\n" +
                          "# Written by `scenarios --promote`; every line was reviewed against the reasoning in the scenario file.\n" +
                          string.Join("\n", check.Actual) + "\n";
            File.WriteAllText(Path.ChangeExtension(file, ExpectedExtension), text);
            changed.Add(check.Name);
        }
        return changed;
    }
}
