using System.Xml.Linq;

namespace Conformance.Cli;

/// <summary>
/// <c>check --junit FILE</c>: the run as JUnit XML, which CI servers display as tests. One
/// <c>testsuite</c> for the verdict matrix, a <c>testcase</c> per cell (<c>classname</c> the patcher,
/// <c>name</c> the model, <c>+NMI</c> for the NMI switch), with a <c>failure</c> when the cell
/// disagrees with history (an <c>error</c> when it has no verdict), carrying the violation and the
/// replay command, and <c>skipped</c> for an open cell; a counterexample history expects is in the
/// passing case's <c>system-out</c>. One <c>testsuite</c> for the emulator's instruction families.
/// No times: the file depends on the run's results only. <c>check --exhaustive</c> and
/// <c>check --mutants</c> write theirs with <see cref="ExhaustiveJunit"/> and <see cref="MutantsJunit"/>.
/// </summary>
public static class JunitReport
{
    public static string Xml(CheckReport report)
    {
        var matrix = Suite("verdict matrix", report.Matrix.Select(Case).ToArray(), report);
        var emulator = Suite("emulator vs Iced", report.Emulator.Select(f => new XElement("testcase",
            new XAttribute("classname", "emulator"), new XAttribute("name", f.Family),
            f.Verdict == "pass" ? null : new XElement("failure", new XAttribute("message", $"disagrees with Iced in {f.Cases} cases"), new XAttribute("type", "emulator")))).ToArray(), report);
        return Document("conformance check", matrix, emulator);
    }

    /// <summary>The whole file: a <c>testsuites</c> element named <paramref name="name"/> with the counts of its suites' cases.</summary>
    internal static string Document(string name, params XElement[] suites) =>
        new XDeclaration("1.0", "utf-8", null) + "\n" + new XElement("testsuites", new XAttribute("name", name), Counts(suites), suites) + "\n";

    /// <summary>A <c>testsuite</c> with the counts of its cases and these properties (the run's settings, the tool).</summary>
    internal static XElement Suite(string name, IReadOnlyList<XElement> cases, params (string Name, object Value)[] properties) =>
        new("testsuite", new XAttribute("name", name), Counts(cases),
            new XElement("properties", properties.Select(p => new XElement("property", new XAttribute("name", p.Name), new XAttribute("value", p.Value)))),
            cases);

    private static XElement Case(CellReport c)
    {
        var element = new XElement("testcase", new XAttribute("classname", c.Patcher), new XAttribute("name", c.Model + (c.NmiMayEndStiShadow ? VerdictTable.NmiSuffix : "")));
        string? replay = CellText.ReplayCommand(c);
        string body = CellText.Why(c) + (replay is null ? "" : $"\nreplay: {replay}") + "\n";
        if (c.Open)
            element.Add(new XElement("skipped", new XAttribute("message", "open: history leaves this cell open, and this run found no counterexample (spec/verdicts.md)")));
        else if (c.Verdict == CellOutcome.Error)
            element.Add(new XElement("error", new XAttribute("message", CellText.Why(c)), new XAttribute("type", c.Property ?? "error"), body));
        else if (!c.Agrees)
            element.Add(new XElement("failure", new XAttribute("message", CellText.Why(c)), new XAttribute("type", $"{c.Verdict}, expected {c.Expected}"), body));
        else if (c.Violation is not null)
            element.Add(new XElement("system-out", $"{c.Verdict} as expected: {c.Property} violated: {c.Violation}" + (replay is null ? "" : $"\nreplay: {replay}") + "\n"));
        return element;
    }

    private static XElement Suite(string name, XElement[] cases, CheckReport report) =>
        Suite(name, cases, ("seed", report.Seed), ("casesPerCell", report.RunsPerCell), ("strategy", report.Strategy ?? ""), ("tool", $"{report.Tool.Name} {report.Tool.Version}"));

    /// <summary>The counts of test cases, failures, errors and skipped ones, of cases or of suites.</summary>
    internal static XAttribute[] Counts(IReadOnlyList<XElement> elements)
    {
        var cases = elements.SelectMany(e => e.Name == "testcase" ? [e] : e.Elements("testcase")).ToArray();
        return [new("tests", cases.Length), new("failures", cases.Count(c => c.Element("failure") is not null)),
            new("errors", cases.Count(c => c.Element("error") is not null)), new("skipped", cases.Count(c => c.Element("skipped") is not null))];
    }
}
