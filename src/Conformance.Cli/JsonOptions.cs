using System.Text.Json;

namespace Conformance.Cli;

internal static class JsonOptions
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
