using Conformance.Cli;
using Conformance.Patching;
using Conformance.Machine;

namespace Conformance.Tests.Cli;

/// <summary>Terminals and pipes (spec/reports.md): when the output is plain, and the table of verdicts at 80 columns.</summary>
public class TerminalTests
{
    [Theory]
    [InlineData(false, null, null, false)]
    [InlineData(true, null, null, true)]
    [InlineData(false, "1", null, true)]
    [InlineData(false, "", null, false)]
    [InlineData(false, null, "true", true)]
    [InlineData(false, null, "", false)]
    public void Output_is_plain_without_a_terminal_with_NO_COLOR_or_with_CI(bool redirected, string? noColor, string? ci, bool plain)
    {
        Assert.Equal(plain, Terminal.IsPlain(redirected, name => name switch { "NO_COLOR" => noColor, "CI" => ci, _ => null }));
    }

    /// <summary>Every catalog row under every model, with the widest cell text a row can have, in a plain console 80 columns wide.</summary>
    [Fact]
    public void The_table_fits_80_columns_without_breaking_a_name()
    {
        var models = FetchModelRegistry.BuiltIn.Select(m => m.Name).ToArray();
        var rows = PatcherRegistry.BuiltIn.SelectMany(p => p.Expectations.Any(e => e.NmiMayEndStiShadow is not null) ? new[] { (p.Name, false), (p.Name, true) } : [(p.Name, false)]).ToArray();
        var cells = (from r in rows from m in models
                     select new CellReport(r.Name, m, r.Item2, "fail", "pass", false, false, 10, 10, 3, "P1-old-new-or-trap", 2, 10, "torn", null)).ToArray();
        var report = new CheckReport(1, 10, 4, cells, []);
        var text = new StringWriter();
        var console = Terminal.Create(text, plain: true, noTerminal: true, width: 80);
        CheckCommand.Print(console, text, report, models, lines: []);
        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());
        var lines = text.ToString().Split('\n');
        Assert.DoesNotContain("\u001b[", text.ToString());
        // The title, the table and the legend (Spectre wraps it at words); the command lines under them are never wrapped, so they paste whole.
        var laidOut = lines.TakeWhile(l => !l.StartsWith("Read one as a timeline", StringComparison.Ordinal)).ToArray();
        Assert.All(laidOut, l => Assert.True(l.TrimEnd('\r').Length <= 80, $"{l.Length} columns: {l}"));
        foreach (var (name, nmi) in rows)
            Assert.Contains(lines, l => l.TrimStart().StartsWith(name + (nmi ? VerdictTable.NmiSuffix : "") + " ", StringComparison.Ordinal));
        foreach (var m in models) Assert.Contains(lines, l => l.Contains(m, StringComparison.Ordinal) && l.Contains("patcher", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"fail P1 {VerdictTable.Mark}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wide_console_gets_the_boxed_table_and_the_marks_are_explained()
    {
        var cells = new[]
        {
            new CellReport("a", "atomic", false, "fail", "pass", false, false, 3, 3, 1, "P2-x", 2, 10, "v", null),
            new CellReport("b", "atomic", false, "pass", "none", true, false, 3, null, null, null, null, null, null, null),
            new CellReport("c", "atomic", false, "pass", "pass", true, false, 3, null, null, null, null, null, null, null),
        };
        var text = new StringWriter();
        CheckCommand.Print(Terminal.Create(text, plain: true, noTerminal: true, width: 160), text, new CheckReport(1, 3, 4, cells, []), ["atomic"], lines: []);
        string output = text.ToString();
        Assert.Contains(" fail P2 ! ", output);
        Assert.Contains(" pass ?    ", output);
        Assert.Contains(" pass      ", output);
        Assert.Contains("┌", output);   // boxed: it fits
        Assert.Contains($"{VerdictTable.Mark}: disagrees with history", output);
        Assert.Contains($"{VerdictTable.UndecidedMark}: history expects nothing", output);
    }
}
