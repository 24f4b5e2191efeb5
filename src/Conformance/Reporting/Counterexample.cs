using Conformance.Checking;

namespace Conformance.Reporting;

/// <summary>
/// One failing case as a report shows it: what was checked (patcher, fetch model, NMI switch),
/// how to get it again (seed, replay token), the case, and its traced run. Timelines, the HTML page
/// and the JSON trace are all drawn from this.
/// </summary>
public sealed record Counterexample(string Patcher, string PatcherDescription, string Model, string ModelDescription, bool NmiMayEndStiShadow,
    PatchCase Case, CaseResult Result)
{
    /// <summary>The replay token (<c>cf2:...</c>, or <c>cx2:...</c> for an exhaustive execution) that runs this case again, if there is one.</summary>
    public string? Token { get; init; }

    /// <summary>The generator's seed for the case, as the suite prints it.</summary>
    public string? Seed { get; init; }

    /// <summary>The violation the report is about: the first the run found.</summary>
    public Violation Violation => Result.First ?? throw new InvalidOperationException("the case passed: there is no counterexample to report");

    /// <summary>For a plug-in's patcher, the plug-in's path as it was given: the printed commands pass it as <c>--plugin</c>.</summary>
    public string? Plugin { get; init; }

    /// <summary>The command that prints this report again.</summary>
    public string? ExplainCommand => Token is null ? null : Checking.Tokens.TokenCommand.Line("explain", Token, Plugin);
}
