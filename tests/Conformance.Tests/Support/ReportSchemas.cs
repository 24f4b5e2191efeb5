using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conformance.Tests.Support;

/// <summary>
/// The report schemas of spec/ (copied into the test output's Spec folder) and a way to check that a
/// real report, once damaged, is rejected: so a test shows both that the output fits its schema and
/// that the schema would notice a missing, unknown or wrong field.
/// </summary>
public static class ReportSchemas
{
    public static JsonSchemaSubset Load(string file) => JsonSchemaSubset.Load(Path.Combine(AppContext.BaseDirectory, "Spec", file));

    /// <summary>Asserts <paramref name="report"/> is valid, and that each damage applied to a fresh copy of it gives an error starting with its text.</summary>
    public static void AssertValidAndDamageRejected(JsonSchemaSubset schema, string report, params (string Damage, Action<JsonNode> Apply, string Says)[] damages)
    {
        var valid = schema.Validate(JsonDocument.Parse(report).RootElement);
        Assert.True(valid.Count == 0, "the report does not fit its schema:\n" + string.Join("\n", valid));
        foreach (var (damage, apply, says) in damages)
        {
            var doc = JsonNode.Parse(report)!;
            apply(doc);
            var errors = schema.Validate(JsonDocument.Parse(doc.ToJsonString()).RootElement);
            Assert.True(errors.Any(e => e.StartsWith(says, StringComparison.Ordinal)),
                $"{damage}: expected an error starting \"{says}\", got:\n{string.Join("\n", errors)}");
        }
    }
}
