using System.Text.Json;
using System.Text.Json.Nodes;
using Conformance.Generators.Campaigns;

namespace Conformance.Cli;

/// <summary>
/// <c>merge</c> of <c>check --exhaustive --shard I/N --json</c> documents: the whole run's document,
/// byte for byte, from its shards (spec/exhaustive.md, "Shards"). A shard holds every Nth unit of the
/// run's work (a patcher row with all its cells, <see cref="ExhaustiveShard"/>); the merge checks that
/// the shards are of one run (tool, options, bound, shard count, the run's units) and that each holds
/// exactly its units' cells, then interleaves the units back and counts the summary again. Anything
/// wrong is one line naming the file and the field (a <see cref="UsageException"/>, exit 2).
/// </summary>
public static class ExhaustiveMerge
{
    /// <summary>Whether a parsed document is an exhaustive report (its <c>report</c> field).</summary>
    public static bool Is(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("report", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() == "exhaustive";

    /// <summary>The report's <c>summary</c> from its cells' JSON objects (the run writes it so, and the merge counts it again so).</summary>
    public static object Summary(IReadOnlyList<JsonElement> cells)
    {
        static string Outcome(JsonElement c) => c.GetProperty("outcome").GetString()!;
        static bool Agrees(JsonElement c) => c.GetProperty("agrees").GetBoolean();
        static bool OutOfReach(JsonElement c) => c.GetProperty("outOfReach").ValueKind != JsonValueKind.Null;
        int disagreeing = cells.Count(c => !Agrees(c));
        return new
        {
            cells = cells.Count,
            agreeing = cells.Count(c => Agrees(c) && !OutOfReach(c)),
            disagreeing,
            outOfReach = cells.Count(OutOfReach),
            verified = cells.Count(c => Outcome(c) == "verified"),
            counterexamples = cells.Count(c => Outcome(c) == "counterexample"),
            errors = cells.Count(c => Outcome(c) == "error"),
            exitCode = disagreeing == 0 ? Cli.Ok : Cli.Failed,
        };
    }

    /// <summary>One shard as read: its file, its document and its <c>shard</c> field.</summary>
    private sealed record Part(string Path, JsonElement Root, ExhaustiveShard Shard, IReadOnlyList<JsonElement> Results);

    /// <summary>The whole run's document from the shards' (<paramref name="roots"/>, parsed from <paramref name="paths"/>).</summary>
    public static JsonObject Merge(IReadOnlyList<string> paths, IReadOnlyList<JsonElement> roots)
    {
        var parts = paths.Select((p, i) => Read(p, roots[i])).ToArray();
        var first = parts[0];
        foreach (var part in parts.Skip(1))
        {
            foreach (var field in new[] { "tool", "options", "exhaustive" })
                if (!JsonElement.DeepEquals(part.Root.GetProperty(field), first.Root.GetProperty(field)))   // as values: a shard rewritten without indentation is the same
                    throw new UsageException($"{part.Path}: field '{field}' differs from {first.Path}'s: shards of different runs");
            if (part.Shard.Count != first.Shard.Count)
                throw new UsageException($"{part.Path}: field 'shard.count' is {part.Shard.Count}, but {first.Path}'s is {first.Shard.Count}: shards of different runs");
            if (!part.Shard.UnitNames.SequenceEqual(first.Shard.UnitNames))
                throw new UsageException($"{part.Path}: field 'shard.unitNames' differs from {first.Path}'s (other patchers, plug-ins or NMI rows): shards of different runs");
        }
        int n = first.Shard.Count;
        var byIndex = new Part?[n];
        foreach (var part in parts)
        {
            if (byIndex[part.Shard.Index - 1] is { } other)
                throw new UsageException($"{part.Path}: field 'shard.index' is {part.Shard.Index}, as in {other.Path}: shard {part.Shard.Index}/{n} given twice");
            byIndex[part.Shard.Index - 1] = part;
        }
        var missing = Enumerable.Range(1, n).Where(k => byIndex[k - 1] is null).ToArray();
        if (missing.Length > 0)
            throw new UsageException($"missing shard(s) {string.Join(", ", missing.Select(k => $"{k}/{n}"))} of the exhaustive run: the files given hold shard.index " +
                                     string.Join(", ", parts.Select(p => $"{p.Shard.Index} ({p.Path})")));
        // Each shard's cells, cut by unit; the units interleave back into the run's order.
        var units = Shard.Interleave(byIndex.Select(p => (IReadOnlyList<IReadOnlyList<JsonElement>>)UnitsOf(p!)).ToArray());
        var results = units.SelectMany(u => u).ToArray();

        var document = JsonNode.Parse(first.Root.GetRawText())!.AsObject();
        document.Remove("shard");
        document["summary"] = JsonSerializer.SerializeToNode(Summary(results), JsonOptions.Indented);
        document["results"] = new JsonArray(results.Select(r => JsonNode.Parse(r.GetRawText())).ToArray());
        return document;
    }

    /// <summary>A shard's results cut into its units' cells, each cell checked to be of its unit.</summary>
    private static IReadOnlyList<IReadOnlyList<JsonElement>> UnitsOf(Part part)
    {
        var mine = new Shard(part.Shard.Index, part.Shard.Count).Of(part.Shard.UnitNames);
        var units = new List<IReadOnlyList<JsonElement>>();
        int at = 0;
        for (int u = 0; u < mine.Count; u++)
        {
            var cells = part.Results.Skip(at).Take(part.Shard.CellsPerUnit[u]).ToArray();
            for (int k = 0; k < cells.Length; k++)
            {
                var c = cells[k];
                string patcher = c.GetProperty("patcher").GetString()!;
                string row = ExhaustiveCheck.RowName(patcher, c.GetProperty("nmiMayEndStiShadow").GetBoolean());
                // A catalog patcher's unit is one NMI row; a plug-in's (or a plug-in that did not load) is all of it.
                if (row != mine[u] && patcher != mine[u])
                    throw new UsageException($"{part.Path}: field 'results[{at + k}]' is a cell of {row}, but shard {part.Shard.Index}/{part.Shard.Count} holds unit {mine[u]} there (shard.cellsPerUnit): a cell moved, renamed or left out");
            }
            units.Add(cells);
            at += cells.Length;
        }
        return units;
    }

    /// <summary>One file, checked on its own: an exhaustive report of this format with a sound <c>shard</c> field.</summary>
    private static Part Read(string path, JsonElement root)
    {
        UsageException Bad(string why) => new($"{path}: {why}");
        if (!Is(root)) throw Bad("field 'report' is not \"exhaustive\": merge joins shards of one kind of run (check --shard I/N, or check --exhaustive --shard I/N)");
        if (!root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.Number || f.GetInt32() != ReportHeader.ExhaustiveFormat)
            throw Bad($"field 'format' is {(root.TryGetProperty("format", out var g) ? g.GetRawText() : "missing")}, expected {ReportHeader.ExhaustiveFormat}: a shard of another version (run every shard with one version)");
        foreach (var field in new[] { "tool", "options", "summary", "exhaustive" })
            if (!root.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Object) throw Bad($"field '{field}' is missing or not an object");
        if (!root.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array) throw Bad("field 'results' is missing or not an array");
        if (!root.TryGetProperty("shard", out var s) || s.ValueKind != JsonValueKind.Object)
            throw Bad("field 'shard' is missing: not a shard (it was not written by check --exhaustive --shard I/N)");
        int Int(string name) => s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x)
            ? x : throw Bad($"field 'shard.{name}' is missing or not a whole number");
        T[] Array<T>(string name, JsonValueKind kind, Func<JsonElement, T> read) =>
            s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == kind)
                ? v.EnumerateArray().Select(read).ToArray() : throw Bad($"field 'shard.{name}' is missing or not an array of {(kind == JsonValueKind.String ? "names" : "numbers")}");
        var shard = new ExhaustiveShard(Int("index"), Int("count"), Int("units"), Array("unitNames", JsonValueKind.String, e => e.GetString()!), Array("cellsPerUnit", JsonValueKind.Number, e => e.GetInt32()));
        if (shard.Count < 1) throw Bad($"field 'shard.count' is {shard.Count}, expected at least 1");
        if (shard.Index < 1 || shard.Index > shard.Count) throw Bad($"field 'shard.index' is {shard.Index}, expected 1 to shard.count ({shard.Count})");
        if (shard.UnitNames.Count != shard.Units) throw Bad($"field 'shard.unitNames' has {shard.UnitNames.Count} name(s), but 'shard.units' is {shard.Units}");
        if (shard.UnitNames.GroupBy(x => x).FirstOrDefault(x => x.Count() > 1) is { } twice) throw Bad($"field 'shard.unitNames' names the unit {twice.Key} twice");
        int mine = new Shard(shard.Index, shard.Count).Of(shard.UnitNames).Count;
        if (shard.CellsPerUnit.Count != mine) throw Bad($"field 'shard.cellsPerUnit' has {shard.CellsPerUnit.Count} count(s); shard {shard.Index}/{shard.Count} of {shard.Units} units holds {mine}");
        if (shard.CellsPerUnit.Any(k => k < 0)) throw Bad("field 'shard.cellsPerUnit' has a negative count");
        var cells = results.EnumerateArray().ToArray();
        if (cells.Length != shard.CellsPerUnit.Sum()) throw Bad($"field 'results' holds {cells.Length} cell(s), but 'shard.cellsPerUnit' adds up to {shard.CellsPerUnit.Sum()}");
        for (int i = 0; i < cells.Length; i++)
        {
            var c = cells[i];
            if (c.ValueKind != JsonValueKind.Object) throw Bad($"field 'results[{i}]' is not an object");
            foreach (var (name, kind) in new[] { ("patcher", JsonValueKind.String), ("model", JsonValueKind.String), ("outcome", JsonValueKind.String) })
                if (!c.TryGetProperty(name, out var v) || v.ValueKind != kind) throw Bad($"field 'results[{i}].{name}' is missing or not a string");
            foreach (var name in new[] { "agrees", "nmiMayEndStiShadow" })
                if (!c.TryGetProperty(name, out var v) || v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Bad($"field 'results[{i}].{name}' is missing or not true/false");
            if (!c.TryGetProperty("outOfReach", out var o) || o.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)) throw Bad($"field 'results[{i}].outOfReach' is missing or not a string or null");
        }
        return new Part(path, root, shard, cells);
    }

    /// <summary>Prints the merged run: a line per cell (its verdict word, row, model and summary; the replay command of a counterexample), then the run's last line.</summary>
    public static void Print(JsonObject document)
    {
        var root = JsonSerializer.SerializeToElement(document, JsonOptions.Indented);
        var cells = root.GetProperty("results").EnumerateArray().ToArray();
        Console.WriteLine($"Merged exhaustive exploration: {cells.Length} cells.");
        foreach (var c in cells)
        {
            string? S(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            bool agrees = c.GetProperty("agrees").GetBoolean();
            string word = S("outcome") == "error" ? "ERROR" : S("outOfReach") is not null ? "out of reach" : S("expected") == "undecided" ? "undecided" : agrees ? "agrees" : "DISAGREES";
            string row = ExhaustiveCheck.RowName(S("patcher")!, c.GetProperty("nmiMayEndStiShadow").GetBoolean()) + (S("variant") is { } v ? $" [{v}]" : "");
            Console.WriteLine($"  {word} {row} / {S("model")}: {S("summary") ?? S("error")}");
            if (S("replay") is { } token) Console.WriteLine($"      {TokenLines.Replay(token)}");
        }
        var summary = root.GetProperty("summary");
        int disagreeing = summary.GetProperty("disagreeing").GetInt32(), outOfReach = summary.GetProperty("outOfReach").GetInt32();
        ExhaustiveCheck.PrintLastLine(cells.Length, disagreeing, outOfReach);
    }
}
