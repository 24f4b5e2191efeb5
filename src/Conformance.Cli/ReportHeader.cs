namespace Conformance.Cli;

/// <summary>
/// The format versions of the reports other than <c>check</c>'s (<see cref="CheckReport.CurrentFormat"/>);
/// each document begins with <c>format</c>, <c>report</c> (which command) and <c>tool</c> (spec/reports.md).
/// A document without <c>format</c> is of format 1, before the header.
/// </summary>
public static class ReportHeader
{
    public const int ExhaustiveFormat = 2, BenchFormat = 2, MutantsFormat = 2, ByClassFormat = 2;

    /// <summary><paramref name="body"/>'s fields after the header: format, report, tool and the options as parsed.</summary>
    public static System.Text.Json.Nodes.JsonObject With(int format, string report, object options, System.Text.Json.Nodes.JsonObject body, System.Text.Json.JsonSerializerOptions serializer)
    {
        var document = new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = format,
            ["report"] = report,
            ["tool"] = System.Text.Json.JsonSerializer.SerializeToNode(ToolReport.This, serializer),
            ["options"] = System.Text.Json.JsonSerializer.SerializeToNode(options, serializer),
        };
        foreach (var (name, value) in body.ToArray())
        {
            body.Remove(name);
            document[name] = value;
        }
        return document;
    }
}
