using System.Xml.Linq;

namespace Conformance.Cli;

/// <summary>
/// <c>check --junit FILE</c>: the run as JUnit XML, which CI servers display as tests. One
/// <c>testsuite</c> for the verdict matrix, a <c>testcase</c> per cell (<c>classname</c> the patcher,
/// <c>name</c> the model, <c>+NMI</c> for the NMI switch), with a <c>failure</c> when the cell
/// disagrees with history (an <c>error</c> when it has no verdict), carrying the violation and the
/// replay command, and <c>skipped</c> for an open cell; a counterexample history expects is in the
/// passing case's <c>system-out</c>. One <c>testsuite</c> for the emulator's instruction families.
/// No times: the file depends on the run's results only.
/// </summary>
public static class JunitReport
{
    public static string Xml(CheckReport report)
    {
        var matrix = Suite("verdict matrix", report.Matrix.Select(Case).ToArray(), report);
        var emulator = Suite("emulator vs Iced", report.Emulator.Select(f => new XElement("testcase",
            new XAttribute("classname", "emulator"), new XAttribute("name", f.Family),
            f.Verdict == "pass" ? null : new XElement("failure", new XAttribute("message", $"disagrees with Iced in {f.Cases} cases"), new XAttribute("type", "emulator")))).ToArray(), report);
        var suites = new XElement("testsuites", new XAttribute("name", "conformance check"),
            Counts([matrix, emulator]), matrix, emulator);
        return new XDeclaration("1.0", "utf-8", null) + "\n" + suites + "\n";
    }

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
        new("testsuite", new XAttribute("name", name), Counts(cases),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "seed"), new XAttribute("value", report.Seed)),
                new XElement("property", new XAttribute("name", "casesPerCell"), new XAttribute("value", report.RunsPerCell)),
                new XElement("property", new XAttribute("name", "strategy"), new XAttribute("value", report.Strategy ?? "")),
                new XElement("property", new XAttribute("name", "tool"), new XAttribute("value", $"{report.Tool.Name} {report.Tool.Version}"))),
            cases);

    /// <summary>The counts of test cases, failures, errors and skipped ones, of cases or of suites.</summary>
    private static XAttribute[] Counts(IReadOnlyList<XElement> elements)
    {
        var cases = elements.SelectMany(e => e.Name == "testcase" ? [e] : e.Elements("testcase")).ToArray();
        return [new("tests", cases.Length), new("failures", cases.Count(c => c.Element("failure") is not null)),
            new("errors", cases.Count(c => c.Element("error") is not null)), new("skipped", cases.Count(c => c.Element("skipped") is not null))];
    }
}
