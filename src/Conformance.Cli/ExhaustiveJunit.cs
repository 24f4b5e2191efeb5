using System.Text.Json;
using System.Xml.Linq;
using Conformance.Checking.Tokens;

namespace Conformance.Cli;

/// <summary>
/// <c>check --exhaustive --junit FILE</c>: the exploration as JUnit XML, read from the report's JSON
/// document (spec/exhaustive-report.schema.json), so the two cannot say different things. One
/// <c>testcase</c> per cell (<c>classname</c> the patcher, <c>name</c> the model, <c>+NMI</c> for
/// the NMI row). A cell that disagrees with history (a counterexample history does not expect, an
/// expected failure not found, an incomplete exploration) has a <c>failure</c> with the result, the
/// violation and the replay command of its <c>cx2</c> token; a cell with no result an <c>error</c>;
/// an out-of-reach cell (not counted against the run) is <c>skipped</c> with the reason; an expected
/// counterexample is in the passing case's <c>system-out</c>. So the failures and errors are exactly
/// the cells that make the exit code 1. No times (spec/reports.md).
/// </summary>
public static class ExhaustiveJunit
{
    public static string Xml(JsonElement document)
    {
        var bound = document.GetProperty("exhaustive");
        var tool = document.GetProperty("tool");
        var cases = document.GetProperty("results").EnumerateArray().Select(Case).ToArray();
        var suite = JunitReport.Suite("exhaustive exploration", cases,
            [.. bound.EnumerateObject().Select(p => (p.Name, (object)Text(p.Value))),
             ("tool", $"{tool.GetProperty("name").GetString()} {tool.GetProperty("version").GetString()}")]);
        return JunitReport.Document("conformance check --exhaustive", suite);
    }

    private static XElement Case(JsonElement c)
    {
        string? S(string name) => c.GetProperty(name).ValueKind == JsonValueKind.Null ? null : c.GetProperty(name).GetString();
        var element = new XElement("testcase", new XAttribute("classname", S("patcher")!),
            new XAttribute("name", S("model") + (c.GetProperty("nmiMayEndStiShadow").GetBoolean() ? VerdictTable.NmiSuffix : "")));
        string expected = S("expected") is { } e ? $"expected {e}{(S("expectedFailure") is { } f ? $" ({f})" : "")}" : "no expectation";
        string? replay = S("replay") is { } token ? TokenCommand.Line("replay", token, TokenLines.PluginOf(token)) : null;
        string body = $"{S("summary")}\nscenario: {S("scenario")}" + (S("schedule") is { } schedule ? $"\nschedule: {schedule}" : "") +
                      (replay is null ? "" : $"\nreplay: {replay}") + "\n";
        if (S("outcome") == "error")
            element.Add(new XElement("error", new XAttribute("message", S("error") ?? "no result"), new XAttribute("type", "error"), $"{S("error")}\nscenario: {S("scenario")}\n"));
        else if (S("outOfReach") is { } why)
            element.Add(new XElement("skipped", new XAttribute("message", $"out of reach: {expected}, but {why}")));
        else if (!c.GetProperty("agrees").GetBoolean())
            element.Add(new XElement("failure", new XAttribute("message", $"{expected}, but {S("summary")}"), new XAttribute("type", $"{S("outcome")}, {expected}"), body));
        else if (S("property") is not null)
            element.Add(new XElement("system-out", $"counterexample ({(S("expected") == "fail" ? "as expected" : expected)}): {S("property")} violated: {S("violation")}" + (replay is null ? "" : $"\nreplay: {replay}") + "\n"));
        return element;
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
