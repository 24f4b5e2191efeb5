using System.Text.Json;

namespace Conformance.Cli;

/// <summary>
/// The shape a JSON document must have, as a table of fields: each present (unless optional), of
/// its kind, null only where allowed, one of its words where it has a fixed set. <see cref="Check"/>
/// names the first field that is wrong, by its path (<c>matrix[3].verdict</c>). Fields the table
/// does not name are let through, so a later writer may add some.
/// </summary>
internal sealed record JsonShape(string Name, JsonShape.Kind Type, bool Nullable = false, bool Optional = false)
{
    public enum Kind { String, Bool, Int, Long, UInt64, Object, Array }

    /// <summary>An object's fields, or the shape of an array's items.</summary>
    public IReadOnlyList<JsonShape> Fields { get; init; } = [];

    /// <summary>For a string, the words it may be.</summary>
    public IReadOnlyList<string>? Words { get; init; }

    public static JsonShape Object(string name, params JsonShape[] fields) => new(name, Kind.Object) { Fields = fields };
    public static JsonShape ArrayOf(string name, JsonShape item) => new(name, Kind.Array) { Fields = [item] };

    /// <summary>What is wrong with <paramref name="value"/> at <paramref name="path"/>, or null when it has this shape.</summary>
    public string? Check(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return Nullable ? null : $"field '{path}' is null, expected {Expected}";
        switch (Type)
        {
            case Kind.Object:
                if (value.ValueKind != JsonValueKind.Object) return Wrong(value, path);
                foreach (var f in Fields)
                {
                    string at = path.Length == 0 ? f.Name : $"{path}.{f.Name}";
                    if (!value.TryGetProperty(f.Name, out var v))
                    {
                        if (f.Optional) continue;
                        return $"field '{at}' is missing";
                    }
                    if (f.Check(v, at) is { } why) return why;
                }
                return null;
            case Kind.Array:
                if (value.ValueKind != JsonValueKind.Array) return Wrong(value, path);
                int i = 0;
                foreach (var item in value.EnumerateArray())
                    if (Fields[0].Check(item, $"{path}[{i++}]") is { } why) return why;
                return null;
            case Kind.String:
                if (value.ValueKind != JsonValueKind.String) return Wrong(value, path);
                return Words is { } words && !words.Contains(value.GetString()!)
                    ? $"field '{path}' is '{value.GetString()}', expected {string.Join(" or ", words)}"
                    : null;
            case Kind.Bool:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Wrong(value, path);
            case Kind.Int:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _) ? null : Wrong(value, path);
            case Kind.Long:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : Wrong(value, path);
            default:
                return value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out _) ? null : Wrong(value, path);
        }
    }

    private string Expected => Type switch
    {
        Kind.String => "a string",
        Kind.Bool => "true or false",
        Kind.Int or Kind.Long => "a whole number",
        Kind.UInt64 => $"a whole number from 0 to {ulong.MaxValue}",
        Kind.Object => "an object",
        _ => "an array",
    };

    private string Wrong(JsonElement value, string path)
    {
        string found = value.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{Cut(value.GetString()!)}\"",
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            JsonValueKind.Object => "an object",
            _ => "an array",
        };
        return $"field '{path}' is {found}, expected {Expected}";
    }

    private static string Cut(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
