using System.Text.Json;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using S = Conformance.Cli.JsonShape;

namespace Conformance.Cli;

/// <summary>
/// What <c>merge</c> checks of the shards it joins, each failure one line naming the shard's file
/// and the field: every file is a <c>check --shard I/N --json</c> document (fields present and of
/// their kind, <see cref="Shape"/>); every shard is of the same run (seed, cases, CPUs, strategy,
/// shard count, and the run's cells: patchers, models, NMI switches, in order); each holds exactly
/// its part of the run's cells (none duplicated, replaced, renamed or left out) and of the emulator
/// families; each replay token is sound and of its cell; no shard is given twice or missing.
/// </summary>
public static class ShardCheck
{
    private static readonly S Cell = S.Object("",
        new("patcher", S.Kind.String), new("model", S.Kind.String), new("nmiMayEndStiShadow", S.Kind.Bool),
        new("verdict", S.Kind.String) { Words = ["pass", "fail", CellOutcome.Error] }, new("expected", S.Kind.String) { Words = ["pass", "fail", "none"] },
        new("agrees", S.Kind.Bool), new("open", S.Kind.Bool), new("casesChecked", S.Kind.Int), new("casesToFirstFailure", S.Kind.Int, Nullable: true),
        new("shrinks", S.Kind.Int, Nullable: true), new("property", S.Kind.String, Nullable: true),
        new("shrunkCpus", S.Kind.Int, Nullable: true), new("shrunkSteps", S.Kind.Long, Nullable: true),
        new("violation", S.Kind.String, Nullable: true), new("replay", S.Kind.String, Nullable: true),
        new("case", S.Kind.String, Optional: true), new("violationStep", S.Kind.Long, Optional: true), new("violationClock", S.Kind.Long, Optional: true),
        new("verified", S.Kind.Bool, Optional: true), new("foundBy", S.Kind.String, Optional: true) { Words = CellReport.FoundByWords },
        S.Object("proof", new("outcome", S.Kind.String) { Words = [ProofReport.Verified, ProofReport.Counterexample, ProofReport.Incomplete, ProofReport.NotExplored, ProofReport.Error] },
            new("executions", S.Kind.Long)) with { Optional = true });

    private static readonly S Family = S.Object("",
        new("family", S.Kind.String), new("forms", S.Kind.Int), new("cases", S.Kind.Int), new("verdict", S.Kind.String) { Words = ["pass", "fail"] });

    /// <summary>The shape of a shard's document (what <see cref="CheckReport"/> writes with <c>--shard</c>).</summary>
    internal static readonly S Shape = S.Object("",
        new("format", S.Kind.Int), new("seed", S.Kind.UInt64), new("runsPerCell", S.Kind.Int), new("maxCpus", S.Kind.Int),
        new("strategy", S.Kind.String, Optional: true),
        S.Object("shard", new("index", S.Kind.Int), new("count", S.Kind.Int), new("cells", S.Kind.Int), new("families", S.Kind.Int),
            S.ArrayOf("cellNames", new S("", S.Kind.String))) with { Optional = true },
        S.ArrayOf("matrix", Cell), S.ArrayOf("emulator", Family));

    /// <summary>Reads one shard's file and checks it on its own; anything wrong is a <see cref="UsageException"/> naming the file.</summary>
    public static CheckReport Read(string path)
    {
        if (Directory.Exists(path)) throw new UsageException($"{path}: is a directory, not a shard's JSON file (check --shard I/N --json FILE)");
        if (!File.Exists(path)) throw new UsageException($"{path}: no such file");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"{path}: cannot be read ({e.Message})"); }
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (Shape.Check(doc.RootElement, "") is { } why) throw new UsageException($"{path}: {why}");
            if (doc.RootElement.GetProperty("format").GetInt32() is var format and not CheckReport.CurrentFormat)
                throw new UsageException($"{path}: field 'format' is {format}, expected {CheckReport.CurrentFormat}: a shard of another version (run every shard with one version)");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path}: not JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
        }
        CheckReport report;
        try { report = CheckReport.Read(path); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (report.Shard is not { } shard) throw new UsageException($"{path}: field 'shard' is missing: not a shard (it was not written by check --shard I/N)");
        Header(path, report, shard);
        return report;
    }

    /// <summary>The fields that say which run and which shard a document is.</summary>
    private static void Header(string path, CheckReport r, ShardReport shard)
    {
        UsageException Bad(string why) => new($"{path}: {why}");
        if (r.RunsPerCell < 1) throw Bad($"field 'runsPerCell' is {r.RunsPerCell}, expected at least 1");
        if (r.MaxCpus is < 1 or > 8) throw Bad($"field 'maxCpus' is {r.MaxCpus}, expected 1 to 8");
        if (shard.Count < 1) throw Bad($"field 'shard.count' is {shard.Count}, expected at least 1");
        if (shard.Index < 1 || shard.Index > shard.Count) throw Bad($"field 'shard.index' is {shard.Index}, expected 1 to shard.count ({shard.Count})");
        if (shard.CellNames.Count != shard.Cells)
            throw Bad($"field 'shard.cellNames' has {shard.CellNames.Count} name(s), but 'shard.cells' is {shard.Cells}");
        if (shard.CellNames.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw Bad($"field 'shard.cellNames' names the cell {twice.Key} twice");
    }

    /// <summary>What a shard holds: exactly its part of the run's cells and families, each cell sound.</summary>
    private static void Content(string path, CheckReport r)
    {
        UsageException Bad(string why) => new($"{path}: {why}");
        var shard = r.Shard!;
        var split = new Shard(shard.Index, shard.Count);
        var mine = split.Of(shard.CellNames);
        if (r.Matrix.Count != mine.Count)
            throw Bad($"field 'matrix' holds {r.Matrix.Count} cell(s); shard {split} of the run's {shard.Cells} holds {mine.Count}");
        for (int i = 0; i < mine.Count; i++)
        {
            var c = r.Matrix[i];
            string name = CellReport.NameOf(c.Patcher, c.Model, c.NmiMayEndStiShadow);
            if (name != mine[i])
                throw Bad($"field 'matrix[{i}]' is the cell {name}, but shard {split} holds {mine[i]} there (shard.cellNames): a cell duplicated, replaced or renamed");
            // A plug-in's error cell has no verdict to agree with anything.
            bool agrees = c.Verdict != CellOutcome.Error && c.Expected switch { "pass" => c.Verdict == "pass", "fail" => c.Verdict == "fail", _ => true };
            if (c.Agrees != agrees) throw Bad($"field 'matrix[{i}].agrees' is {(c.Agrees ? "true" : "false")}, but verdict {c.Verdict} against expected {c.Expected} {(agrees ? "agrees" : "does not agree")}");
            if (c.Replay is { } token) Token(path, i, c, token);
        }
        var families = EmulatorCampaign.Families;
        if (shard.Families != 0 && shard.Families != families.Count)
            throw Bad($"field 'shard.families' is {shard.Families}, but this suite checks {families.Count} instruction families (a shard of another version?)");
        var myFamilies = shard.Families == 0 ? [] : split.Of(families.Select(f => f.Family).ToArray());
        if (r.Emulator.Count != myFamilies.Count)
            throw Bad($"field 'emulator' holds {r.Emulator.Count} famil(ies); shard {split} of the run's {shard.Families} holds {myFamilies.Count}");
        for (int i = 0; i < myFamilies.Count; i++)
            if (r.Emulator[i].Family != myFamilies[i])
                throw Bad($"field 'emulator[{i}].family' is {r.Emulator[i].Family}, but shard {split} holds {myFamilies[i]} there: a family duplicated, replaced or renamed");
    }

    private static void Token(string path, int i, CellReport c, string text)
    {
        // A counterexample found by the cell's bounded proof alone has the proof's cx2 token (it has no NMI switch).
        (string Patcher, string Model, bool Nmi) of;
        try
        {
            if (Conformance.Checking.Exhaustive.ExhaustiveToken.Looks(text))
            {
                var cx = Conformance.Checking.Exhaustive.ExhaustiveToken.Parse(text);
                of = (cx.Patcher, cx.Model, false);
            }
            else
            {
                var token = ReplayToken.Parse(text);
                of = (token.Patcher, token.Model, token.Nmi);
            }
        }
        catch (ArgumentException e) { throw new UsageException($"{path}: field 'matrix[{i}].replay': {e.Message}"); }
        if (of.Patcher != c.Patcher || of.Model != c.Model || of.Nmi != c.NmiMayEndStiShadow)
            throw new UsageException($"{path}: field 'matrix[{i}].replay' is a token of {CellReport.NameOf(of.Patcher, of.Model, of.Nmi)}, " +
                                     $"not of its cell {CellReport.NameOf(c.Patcher, c.Model, c.NmiMayEndStiShadow)}");
    }

    /// <summary>
    /// Checks that the shards are of one run, each given once and none missing, and returns them in
    /// shard order; anything wrong is a <see cref="UsageException"/> naming the shard and the field.
    /// </summary>
    public static IReadOnlyList<CheckReport> OfOneRun(IReadOnlyList<string> paths, IReadOnlyList<CheckReport> reports)
    {
        var first = reports[0];
        var s0 = first.Shard!;
        for (int i = 1; i < reports.Count; i++)
        {
            var r = reports[i];
            var s = r.Shard!;
            string? field =
                r.Seed != first.Seed ? $"seed' is {r.Seed}, but {paths[0]}'s is {first.Seed}"
                : r.RunsPerCell != first.RunsPerCell ? $"runsPerCell' is {r.RunsPerCell}, but {paths[0]}'s is {first.RunsPerCell}"
                : r.MaxCpus != first.MaxCpus ? $"maxCpus' is {r.MaxCpus}, but {paths[0]}'s is {first.MaxCpus}"
                : r.Strategy != first.Strategy ? $"strategy' is {r.Strategy ?? ScheduleSearch.DefaultName}, but {paths[0]}'s is {first.Strategy ?? ScheduleSearch.DefaultName}"
                : (r.Options?.Quick ?? false) != (first.Options?.Quick ?? false) ? $"options.quick' is {r.Options?.Quick ?? false}, but {paths[0]}'s is {first.Options?.Quick ?? false} (one ran the bounded proofs, the other did not)"
                : s.Count != s0.Count ? $"shard.count' is {s.Count}, but {paths[0]}'s is {s0.Count}"
                : s.Cells != s0.Cells ? $"shard.cells' is {s.Cells}, but {paths[0]}'s is {s0.Cells}"
                : s.Families != s0.Families ? $"shard.families' is {s.Families}, but {paths[0]}'s is {s0.Families}"
                : FirstDifference(s.CellNames, s0.CellNames) is { } k
                    ? $"shard.cellNames[{k}]' is {At(s.CellNames, k)}, but {paths[0]}'s is {At(s0.CellNames, k)} (other patchers, models or NMI switches)"
                : null;
            if (field is not null) throw new UsageException($"{paths[i]}: field '{field}: shards of different runs");
        }
        for (int i = 0; i < reports.Count; i++) Content(paths[i], reports[i]);
        int n = s0.Count;
        var byIndex = new int?[n];
        for (int i = 0; i < reports.Count; i++)
        {
            int index = reports[i].Shard!.Index;
            if (byIndex[index - 1] is { } other)
                throw new UsageException($"{paths[i]}: field 'shard.index' is {index}, as in {paths[other]}: shard {index}/{n} given twice");
            byIndex[index - 1] = i;
        }
        var missing = Enumerable.Range(1, n).Where(k => byIndex[k - 1] is null).ToArray();
        if (missing.Length > 0)
            throw new UsageException($"missing shard(s) {string.Join(", ", missing.Select(k => $"{k}/{n}"))}: the files given hold shard.index " +
                                     $"{string.Join(", ", Enumerable.Range(0, reports.Count).Select(i => $"{reports[i].Shard!.Index} ({paths[i]})"))} of shard.count {n}");
        return byIndex.Select(i => reports[i!.Value]).ToArray();
    }

    private static int? FirstDifference(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (int k = 0; k < Math.Max(a.Count, b.Count); k++)
            if (k >= a.Count || k >= b.Count || a[k] != b[k]) return k;
        return null;
    }

    private static string At(IReadOnlyList<string> names, int k) => k < names.Count ? names[k] : "(none)";
}
