using Conformance.Checking.Tokens;

namespace Conformance.Cli;

/// <summary>How the machine-read reports (JUnit, GitHub annotations) name a cell and say why it disagrees, in one wording.</summary>
internal static class CellText
{
    /// <summary><c>patcher / model</c>, with <c>(NMI)</c> for the NMI switch.</summary>
    public static string Title(CellReport c) => $"{c.Patcher} / {c.Model}{(c.NmiMayEndStiShadow ? " (NMI)" : "")}";

    /// <summary>Whether the cell makes the run fail: it disagrees with history (an open cell does not).</summary>
    public static bool Disagrees(CellReport c) => !c.Agrees && !c.Open;

    /// <summary>One line: the verdict against the expectation, and the violation (or the plug-in's error).</summary>
    public static string Why(CellReport c) => c.Verdict switch
    {
        CellOutcome.Error => $"no verdict: {c.Property}: {c.Violation}",
        "pass" => $"expected {c.Expected}, but no counterexample in {c.CasesChecked} cases",
        _ => $"expected {c.Expected}, but {c.Property} violated: {c.Violation}",
    };

    /// <summary>The whole command that replays the cell's counterexample, or null when it has none.</summary>
    public static string? ReplayCommand(CellReport c) => c.Replay is { } token ? TokenCommand.Line("replay", token, TokenLines.PluginOf(token)) : null;
}
