using System.Text.Json;
using System.Text.Json.Serialization;
using Conformance.Generators.Campaigns;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>
/// The JSON that <c>check --json</c> writes and <c>merge</c> reads and writes (spec/reports.md, its
/// schema spec/check-report.schema.json). One shape for the whole run and for a shard (which adds
/// <see cref="Shard"/>); merging the shards of a run gives the whole run's document byte for byte
/// (so the header holds what decides the results, not where they were written or on how many threads).
/// </summary>
public sealed record CheckReport(ulong Seed, int RunsPerCell, int MaxCpus,
    [property: JsonPropertyOrder(20)] IReadOnlyList<CellReport> Matrix,
    [property: JsonPropertyOrder(21)] IReadOnlyList<FamilyReport> Emulator)
{
    /// <summary>The version of this document's shape; a document without <c>format</c> is of format 1 (no header, no summary, <c>runs</c> per cell); format 2 had no bounded proof (<see cref="CellReport.Proof"/>).</summary>
    public const int CurrentFormat = 3;

    [JsonPropertyOrder(-10)]
    public int Format => CurrentFormat;

    /// <summary>Which command's report this is.</summary>
    [JsonPropertyOrder(-9)]
    public string Report => "check";

    [JsonPropertyOrder(-8)]
    public ToolReport Tool => ToolReport.This;

    /// <summary>The command line's options as parsed (null only in a format-1 document read back).</summary>
    [JsonPropertyOrder(-7)]
    public CheckOptionsReport? Options { get; init; }

    /// <summary>The schedule search the cells ran with (a format-1 document named only one that was not the default).</summary>
    [JsonPropertyOrder(1)]
    public string? Strategy { get; init; }

    /// <summary>The plug-ins' patchers among the cells (empty: built-in patchers only).</summary>
    [JsonPropertyOrder(2)]
    public IReadOnlyList<PluginReport> Plugins { get; init; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(3)]
    public ShardReport? Shard { get; init; }

    [JsonPropertyOrder(10)]
    public SummaryReport Summary => SummaryReport.Of(this);

    /// <summary>Per row (patcher and NMI switch): the weakest fetch model it passes under, with every stronger one (spec/verdicts.md).</summary>
    [JsonPropertyOrder(11)]
    public IReadOnlyList<AssumptionReport> Assumptions => AssumptionReport.Of(Matrix);

    private static readonly JsonSerializerOptions Serializer = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        RespectNullableAnnotations = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Serializer) + "\n";

    /// <summary>Reads a document <c>check --json</c> wrote; a file that is not one throws an <see cref="ArgumentException"/> naming it.</summary>
    public static CheckReport Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CheckReport>(File.ReadAllText(path), Serializer)
                   ?? throw new ArgumentException($"{path}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: not a check --json document ({e.Message})");
        }
        catch (IOException e)
        {
            throw new ArgumentException($"{path}: {e.Message}");
        }
    }

    // A cell's property stops at its first counterexample: the cases checked are the cases to it (shrink attempts not counted).
    public static CellReport Cell(MatrixCell r) => new(r.Patcher, r.Model, r.NmiMayEndStiShadow, r.Verdict,
        r.Expected switch { ExpectedVerdict.Pass => "pass", ExpectedVerdict.Fail => "fail", _ => "none" },
        r.Agrees, r.IsOpen, r.Runs, r.Passed ? null : r.Runs, r.Failure?.Shrinks, r.Property, r.ShrunkCase?.Cpus, r.ShrunkCase?.Schedule.TotalSteps,
        r.Shrunk?.First?.Message, r.Token?.ToString())
    {
        Case = r.ShrunkCase?.ToString(), ViolationStep = r.Shrunk?.First?.Step, ViolationClock = r.Shrunk?.First?.Clock,
    };

    public static FamilyReport Family(FamilyResult e) => new(e.Family, e.Codes.Count, e.Cases, e.Passed ? "pass" : "fail");

    /// <summary>Every decided cell agrees with history and every family with Iced (open cells do not count).</summary>
    [JsonIgnore]
    public bool Agrees => Matrix.All(c => c.Agrees || c.Open) && Emulator.All(e => e.Verdict == "pass");

    /// <summary>The exit code of the run this document is of (<see cref="Cli.Ok"/> when it <see cref="Agrees"/>, else <see cref="Cli.Failed"/>).</summary>
    [JsonIgnore]
    public int ExitCode => Agrees ? Cli.Ok : Cli.Failed;
}

/// <summary>The command line that wrote a report: its name and version (the assembly's informational version, with the commit it was built from).</summary>
public sealed record ToolReport(string Name, string Version)
{
    public static readonly ToolReport This = new("conformance",
        typeof(ToolReport).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? typeof(ToolReport).Assembly.GetName().Version?.ToString() ?? "unknown");
}

/// <summary>
/// <c>check</c>'s options as parsed, those that decide its results: the patchers and models chosen
/// (empty: all), cases, seed, CPUs, emulator cases, strategy, plug-ins, layouts and failure database.
/// Where the output goes (<c>--json</c>, <c>--junit</c>), <c>--threads</c> (the results do not
/// depend on it) and <c>--shard</c> (<see cref="CheckReport.Shard"/>) are left out, so the merged
/// shards' document is the whole run's.
/// </summary>
public sealed record CheckOptionsReport(IReadOnlyList<string> Patchers, IReadOnlyList<string> Models, int Runs, ulong Seed, int MaxCpus, int EmulatorRuns,
    string Strategy, IReadOnlyList<string> Plugins, string? LayoutsFrom, bool ByClass, string? FailureDb)
{
    /// <summary><c>--quick</c>: the random matrix alone, no bounded proof per cell.</summary>
    public bool Quick { get; init; }
}

/// <summary>A plug-in's patcher among a report's cells: its name and the assembly it came from (the file name, as machines differ in paths).</summary>
public sealed record PluginReport(string Patcher, string Assembly);

/// <summary>
/// A report's counts. Every cell is one of: open (an open cell whose counterexample was not found),
/// disagreeing (its verdict is not what history expects, or it has no verdict: an error), undecided
/// (history expects nothing: the suite decides), agreeing. <c>verified</c> counts the cells whose
/// bounded proof verified them (<see cref="CellReport.Verified"/>; 0 with <c>--quick</c>, which runs no proof).
/// </summary>
public sealed record SummaryReport(int Cells, int Agreeing, int Disagreeing, int Open, int Undecided, int Errors, int Verified, EmulatorSummary Emulator, int ExitCode)
{
    public static SummaryReport Of(CheckReport r)
    {
        int open = r.Matrix.Count(c => c.Open);
        int disagreeing = r.Matrix.Count(c => !c.Open && !c.Agrees);
        int undecided = r.Matrix.Count(c => !c.Open && c.Agrees && c.Expected == "none");
        var e = r.Emulator;
        return new SummaryReport(r.Matrix.Count, r.Matrix.Count - open - disagreeing - undecided, disagreeing, open, undecided,
            r.Matrix.Count(c => c.Verdict == CellOutcome.Error), r.Matrix.Count(c => c.Verified),
            new EmulatorSummary(e.Count > 0, e.Count, e.Sum(f => f.Forms), e.Sum(f => f.Cases), e.Count(f => f.Verdict != "pass")), r.ExitCode);
    }
}

/// <summary>
/// The emulator-vs-Iced check in numbers: whether this document holds any of it (<c>checked</c> is
/// false with <c>--emulator-runs 0</c>, or in a shard given none of the families), the families,
/// forms and cases checked, and the families that disagree with Iced.
/// </summary>
public sealed record EmulatorSummary(bool Checked, int Families, int Forms, int Cases, int Disagreeing);

/// <summary>
/// One cell of the verdict matrix in the JSON. <c>casesChecked</c>: the generated cases the cell's
/// property checked (shrink attempts not counted); <c>casesToFirstFailure</c>: of those, the one that
/// failed first (the property stops there, so the two are equal in a failing cell), null when none
/// failed; <c>shrinks</c>: the shrink steps FsCheck took from it to the reported case.
/// </summary>
public sealed record CellReport(string Patcher, string Model, bool NmiMayEndStiShadow, string Verdict, string Expected, bool Agrees, bool Open,
    int CasesChecked, int? CasesToFirstFailure, int? Shrinks, string? Property, int? ShrunkCpus, long? ShrunkSteps, string? Violation, string? Replay)
{
    /// <summary>The shrunk case in the case notation (spec/timelines.md), the text <c>replay</c> and <c>explain</c> print.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Case { get; init; }

    /// <summary>The machine step of the first violation's offending event (spec/timelines.md, "Steps and the clock").</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ViolationStep { get; init; }

    /// <summary>The memory clock there (never a step).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ViolationClock { get; init; }

    /// <summary>
    /// Whether the cell is verified: its bounded proof explored every execution of its scenario
    /// without a counterexample and its random cases found none (spec/verdicts.md, "Settled verdicts").
    /// </summary>
    public bool Verified { get; init; }

    /// <summary>The values of <see cref="FoundBy"/>.</summary>
    public static readonly string[] FoundByWords = ["random", "kept", "exhaustive", "random+exhaustive", "kept+exhaustive"];

    /// <summary>
    /// Which search found the cell's counterexample: <c>random</c> (its generated cases), <c>kept</c>
    /// (a kept counterexample, spec/verdicts.md), <c>exhaustive</c> (the bounded proof alone), or one
    /// of the first two <c>+exhaustive</c>; null when none did.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FoundBy { get; init; }

    /// <summary>The cell's bounded proof (null with <c>--quick</c>, or in a document written without one).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ProofReport? Proof { get; init; }

    /// <summary>A cell's name in a shard's list of the run's cells: <c>patcher/model</c>, with <c>/nmi</c> for the NMI switch.</summary>
    public static string NameOf(string patcher, string model, bool nmi) => $"{patcher}/{model}{(nmi ? "/nmi" : "")}";
}

/// <summary>
/// What a row of the matrix rests on: <c>needs</c> is the weakest built-in fetch model under which
/// every cell from it up to atomic passes (<c>nothing</c>: passes under architectural; <c>-</c>: fails
/// even under atomic; <c>?</c>: a cell it depends on is open or an error), and the sentence for it.
/// </summary>
public sealed record AssumptionReport(string Patcher, bool NmiMayEndStiShadow, string Needs, string Sentence)
{
    public static IReadOnlyList<AssumptionReport> Of(IReadOnlyList<CellReport> matrix) =>
        matrix.GroupBy(c => (c.Patcher, c.NmiMayEndStiShadow))
            .Select(row =>
            {
                var passes = row.GroupBy(c => c.Model).ToDictionary(m => m.Key, m => m.First() is var c && !c.Open && c.Verdict is "pass" or "fail" ? c.Verdict == "pass" : (bool?)null);
                var a = Conformance.Checking.FetchAssumption.Of(passes);
                return new AssumptionReport(row.Key.Patcher, row.Key.NmiMayEndStiShadow, a.Needs, a.Sentence);
            })
            .ToArray();
}

/// <summary>One instruction family of the emulator-vs-Iced check in the JSON.</summary>
public sealed record FamilyReport(string Family, int Forms, int Cases, string Verdict);

/// <summary>Which shard of how many a document holds, and the size of the whole run (to check a merge).</summary>
public sealed record ShardReport(int Index, int Count, int Cells, int Families)
{
    /// <summary>The whole run's cells in order (<see cref="CellReport.NameOf"/>): which run a shard is of, and which cells it must hold.</summary>
    public IReadOnlyList<string> CellNames { get; init; } = [];
}
