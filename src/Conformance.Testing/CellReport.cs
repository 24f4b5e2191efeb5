using System.Text;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Patching;
using Conformance.Reporting;

namespace Conformance.Testing;

/// <summary>How <see cref="PatcherAssert"/> words one cell: its verdict, and a counterexample as the suite shows one (shrunk case, replay lines, timeline).</summary>
internal static class CellReport
{
    public static string Title(MatrixCell cell) =>
        $"{cell.Patcher} under {cell.Model}{(cell.NmiMayEndStiShadow ? " (NMI may end the STI shadow)" : "")}";

    public static string Verdict(MatrixCell cell) =>
        cell.Passed ? $"{Title(cell)}: pass ({cell.Runs} cases)"
        : $"{Title(cell)}: counterexample after {cell.Runs} cases{(cell.Failure is { } f ? $" and {f.Shrinks} shrinks" : "")}: {cell.Shrunk?.First}";

    /// <summary>The whole story of a failing cell: verdict, shrunk case, every violation, how to replay it, and the timeline.</summary>
    public static string Counterexample(MatrixCell cell, PatcherInfo patcher)
    {
        var text = new StringBuilder();
        text.AppendLine(Verdict(cell));
        if (cell.ShrunkCase is { } shrunk) text.AppendLine($"Shrunk case: {shrunk}");
        foreach (var v in cell.Shrunk?.Violations ?? []) text.AppendLine($"  - {v}");
        if (cell.Token is { } token)
        {
            string test = Xunit.TestContext.Current.TestMethod?.MethodName ?? "NAME";
            text.AppendLine($"Replay just this case: {PropertySettings.ReplayVariable}={token} dotnet test --filter-method '*{test}'");
            text.AppendLine($"Or with the tool:      conformance {Conformance.Checking.Tokens.TokenCommand.Arguments("explain", token.ToString(), token.Plugin ?? patcher.Type.Assembly.Location)}");
        }
        if (MatrixCounterexample.Of(cell, patcher) is { } counterexample)
        {
            text.AppendLine();
            text.Append(TimelineText.Render(Timeline.Build(counterexample)));
        }
        return text.ToString();
    }
}
