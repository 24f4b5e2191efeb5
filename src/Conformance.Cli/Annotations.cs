namespace Conformance.Cli;

/// <summary>
/// GitHub Actions' workflow commands for a run that runs there (<c>GITHUB_ACTIONS=true</c>): one
/// <c>::error title=...::...</c> line per cell that disagrees with history and per instruction family
/// that disagrees with Iced, which GitHub shows on the run's page. Elsewhere, none.
/// </summary>
public static class Annotations
{
    public static IReadOnlyList<string> For(CheckReport report, Func<string, string?> environment)
    {
        if (environment("GITHUB_ACTIONS") != "true") return [];
        var lines = new List<string>();
        foreach (var c in report.Matrix.Where(CellText.Disagrees))
            lines.Add(Error(CellText.Title(c) + ": disagrees with history",
                CellText.Why(c) + (CellText.ReplayCommand(c) is { } replay ? $" | {replay}" : "")));
        foreach (var f in report.Emulator.Where(f => f.Verdict != "pass"))
            lines.Add(Error($"emulator / {f.Family}: disagrees with Iced", $"the instruction family {f.Family} disagrees with Iced in {f.Cases} cases"));
        return lines;
    }

    /// <summary>An error line, its title and message escaped as GitHub's toolkit escapes them.</summary>
    public static string Error(string title, string message) => $"::error title={Property(title)}::{Data(message)}";

    private static string Data(string s) => s.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    private static string Property(string s) => Data(s).Replace(":", "%3A").Replace(",", "%2C");
}
