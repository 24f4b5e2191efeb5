using System.Xml.Linq;
using Conformance.Checking.Tokens;

namespace Conformance.Cli;

/// <summary>
/// <c>check --mutants --junit FILE</c>: the kill score as JUnit XML. One <c>testcase</c> per mutant
/// and fetch model where it must be killed (<c>classname</c> the mutant, <c>name</c> the model): a
/// mutant is killed when every one of its cells is, so a CI page shows under which model a mutant
/// survived, and the failing cases are exactly what makes the exit code 1. A cell passes when the
/// random search or the exhaustive mode killed it (how, in <c>system-out</c>, with the random
/// search's replay command); a surviving cell has a <c>failure</c> with both searches' results and,
/// where one could not take the mutant, why it is out of reach. A mutant with no cell (no chosen
/// model is one it must be killed under) is one failing case named "(no model)". No times, unlike
/// the table (spec/reports.md).
/// </summary>
public static class MutantsJunit
{
    public static string Xml(MutantsReport report)
    {
        var cases = report.Mutants.SelectMany(Cases).ToArray();
        var tool = ToolReport.This;
        var suite = JunitReport.Suite("mutants", cases, ("seed", report.Seed), ("runs", report.Runs), ("maxCpus", report.MaxCpus),
            ("exhaustiveCpus", report.Exhaustive.Cpus), ("exhaustivePreemptions", report.Exhaustive.Preemptions),
            ("exhaustiveMaxExecutions", report.Exhaustive.MaxExecutions), ("killed", $"{report.Killed}/{report.Total}"), ("tool", $"{tool.Name} {tool.Version}"));
        return JunitReport.Document("conformance check --mutants", suite);
    }

    private static IEnumerable<XElement> Cases(MutantRow m)
    {
        if (m.Cells.Count == 0)
        {
            yield return new XElement("testcase", new XAttribute("classname", m.Name), new XAttribute("name", "(no model)"),
                new XElement("failure", new XAttribute("message", $"not run: it must be killed under {string.Join(", ", m.Models)}, and no chosen fetch model is one of them"),
                    new XAttribute("type", "not run")));
            yield break;
        }
        foreach (var c in m.Cells)
        {
            var element = new XElement("testcase", new XAttribute("classname", m.Name), new XAttribute("name", c.Model));
            string random = Random(c.Random), exhaustive = Exhaustive(c.Exhaustive);
            string? replay = c.Random.Replay is { } token ? TokenCommand.Line("replay", token, TokenLines.PluginOf(token)) : null;
            if (c.Random.Killed || c.Exhaustive.Killed)
            {
                string? by = c.Random.Killed ? c.Random.Property : c.Exhaustive.Property;
                string note = by is not null && !m.Properties.Contains(by) ? $"\nnote: killed by {by}, not by {string.Join(" or ", m.Properties)}" : "";
                element.Add(new XElement("system-out", $"random search: {random}\nexhaustive mode: {exhaustive}" + (replay is null ? "" : $"\nreplay: {replay}") + note + "\n"));
            }
            else
                element.Add(new XElement("failure", new XAttribute("message", $"not killed: random search {random}; exhaustive mode {exhaustive}"), new XAttribute("type", "survived"),
                    $"mutates {m.Mutates}; must be killed by {string.Join(" or ", m.Properties)}\nstands for: {m.Source}\nrandom search: {random}\nexhaustive mode: {exhaustive}\n"));
            yield return element;
        }
    }

    private static string Random(RandomKill r) =>
        r.Killed ? $"killed by {r.Property} after {r.Cases} case(s): {r.Violation}"
        : r.OutOfReach is { } why ? $"out of reach (not run): {why}"
        : $"survived {r.Cases} case(s)";

    private static string Exhaustive(ExhaustiveKill e) =>
        e.Killed ? $"killed by {e.Property} at execution {e.Execution}: {e.Violation}"
        : e.OutOfReach is { } why ? $"out of reach ({(e.Outcome == "out-of-reach" ? "rejected" : $"{e.Outcome}, {e.Executions} executions")}): {why}"
        : $"survived: {e.Outcome}, {e.Executions} executions";
}
