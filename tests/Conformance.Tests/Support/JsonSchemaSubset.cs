using System.Text.Json;

namespace Conformance.Tests.Support;

/// <summary>
/// A validator for the part of JSON Schema (2020-12) the suite's schemas use: <c>type</c> (one or a
/// list), <c>required</c>, <c>properties</c>, <c>additionalProperties: false</c>, <c>items</c>,
/// <c>enum</c>, <c>const</c>, <c>minimum</c>, <c>$ref</c> to <c>#/$defs/NAME</c>. No validator
/// package is among the packages the project allows (guide: Iced, FsCheck, xunit.v3, ...), so this is
/// it. A schema that uses any other keyword is refused (<see cref="ArgumentException"/>), so nothing
/// in a schema is silently not checked.
/// </summary>
public sealed class JsonSchemaSubset
{
    private static readonly HashSet<string> Annotations = ["$schema", "$id", "$defs", "title", "description"];
    private static readonly HashSet<string> Keywords = ["type", "required", "properties", "additionalProperties", "items", "enum", "const", "minimum", "$ref"];

    private readonly JsonElement _root;

    public JsonSchemaSubset(JsonElement root)
    {
        _root = root;
        CheckKeywords(root, "#");
    }

    public static JsonSchemaSubset Load(string path) => new(JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone());

    /// <summary>What is wrong with <paramref name="value"/>, each problem with its path (<c>$.matrix[0].verdict</c>); empty when it is valid.</summary>
    public IReadOnlyList<string> Validate(JsonElement value)
    {
        var errors = new List<string>();
        Validate(_root, value, "$", errors);
        return errors;
    }

    private void Validate(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Validate(Resolve(reference.GetString()!), value, path, errors);
            return;
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!];
            if (!types.Any(t => Is(value, t)))
            {
                errors.Add($"{path}: is {Kind(value)}, expected {string.Join(" or ", types)}");
                return;
            }
        }
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
            errors.Add($"{path}: is {value.GetRawText()}, expected {constant.GetRawText()}");
        if (schema.TryGetProperty("enum", out var words) && !words.EnumerateArray().Any(w => JsonElement.DeepEquals(w, value)))
            errors.Add($"{path}: is {value.GetRawText()}, expected one of {words.GetRawText()}");
        if (schema.TryGetProperty("minimum", out var minimum) && value.ValueKind == JsonValueKind.Number && value.GetDecimal() < minimum.GetDecimal())
            errors.Add($"{path}: is {value.GetRawText()}, below the minimum {minimum.GetRawText()}");
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                    if (!value.TryGetProperty(name, out _)) errors.Add($"{path}: the required field '{name}' is missing");
            bool closed = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
            schema.TryGetProperty("properties", out var properties);
            foreach (var field in value.EnumerateObject())
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(field.Name, out var sub))
                    Validate(sub, field.Value, $"{path}.{field.Name}", errors);
                else if (closed)
                    errors.Add($"{path}: the field '{field.Name}' is not in the schema");
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var item in value.EnumerateArray()) Validate(items, item, $"{path}[{i++}]", errors);
        }
    }

    private JsonElement Resolve(string reference)
    {
        const string prefix = "#/$defs/";
        if (!reference.StartsWith(prefix, StringComparison.Ordinal) || !_root.TryGetProperty("$defs", out var defs) || !defs.TryGetProperty(reference[prefix.Length..], out var target))
            throw new ArgumentException($"$ref '{reference}': only #/$defs/NAME of this schema is read");
        return target;
    }

    private static bool Is(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) && d == decimal.Truncate(d),
        _ => throw new ArgumentException($"type '{type}' is not a JSON Schema type"),
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>Refuses a schema that uses a keyword this validator does not read (it would pass unchecked).</summary>
    private static void CheckKeywords(JsonElement schema, string path)
    {
        if (schema.ValueKind != JsonValueKind.Object) throw new ArgumentException($"{path}: a schema must be an object");
        foreach (var p in schema.EnumerateObject())
        {
            if (p.Name == "$defs") { foreach (var d in p.Value.EnumerateObject()) CheckKeywords(d.Value, $"{path}/$defs/{d.Name}"); continue; }
            if (Annotations.Contains(p.Name)) continue;
            if (!Keywords.Contains(p.Name)) throw new ArgumentException($"{path}: the keyword '{p.Name}' is not read by this validator");
            switch (p.Name)
            {
                case "properties": foreach (var f in p.Value.EnumerateObject()) CheckKeywords(f.Value, $"{path}/properties/{f.Name}"); break;
                case "items": CheckKeywords(p.Value, $"{path}/items"); break;
                case "additionalProperties" when p.Value.ValueKind != JsonValueKind.False:
                    throw new ArgumentException($"{path}: additionalProperties is read only as false");
            }
        }
    }
}
