using System.Text.Json;
using System.Text.Json.Serialization;
using Conformance.Generators.Campaigns;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>
/// The JSON that <c>check --json</c> writes and <c>merge</c> reads and writes. One shape for the
/// whole run and for a shard (which adds <see cref="Shard"/>); merging the shards of a run gives the
/// whole run's document byte for byte. Fields that are not the default (the schedule strategy, the
/// shard) are written only when set, so a default run's document is what it has always been.
/// </summary>
public sealed record CheckReport(ulong Seed, int RunsPerCell, int MaxCpus, IReadOnlyList<CellReport> Matrix, IReadOnlyList<FamilyReport> Emulator)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(1)]
    public string? Strategy { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(1)]
    public ShardReport? Shard { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        RespectNullableAnnotations = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    /// <summary>Reads a document <c>check --json</c> wrote; a file that is not one throws an <see cref="ArgumentException"/> naming it.</summary>
    public static CheckReport Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CheckReport>(File.ReadAllText(path), Options)
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

    public static CellReport Cell(MatrixCell r) => new(r.Patcher, r.Model, r.NmiMayEndStiShadow, r.Verdict,
        r.Expected switch { ExpectedVerdict.Pass => "pass", ExpectedVerdict.Fail => "fail", _ => "none" },
        r.Agrees, r.IsOpen, r.Runs, r.Property, r.ShrunkCase?.Cpus, r.ShrunkCase?.Schedule.TotalSteps, r.Shrunk?.First?.Message, r.Token?.ToString())
    {
        Case = r.ShrunkCase?.ToString(), ViolationStep = r.Shrunk?.First?.Step, ViolationClock = r.Shrunk?.First?.Clock,
    };

    public static FamilyReport Family(FamilyResult e) => new(e.Family, e.Codes.Count, e.Cases, e.Passed ? "pass" : "fail");

    /// <summary>Every decided cell agrees with history and every family with Iced (open cells do not count).</summary>
    [JsonIgnore]
    public bool Agrees => Matrix.All(c => c.Agrees || c.Open) && Emulator.All(e => e.Verdict == "pass");
}

/// <summary>One cell of the verdict matrix in the JSON.</summary>
public sealed record CellReport(string Patcher, string Model, bool NmiMayEndStiShadow, string Verdict, string Expected, bool Agrees, bool Open,
    int Runs, string? Property, int? ShrunkCpus, long? ShrunkSteps, string? Violation, string? Replay)
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

    /// <summary>A cell's name in a shard's list of the run's cells: <c>patcher/model</c>, with <c>/nmi</c> for the NMI switch.</summary>
    public static string NameOf(string patcher, string model, bool nmi) => $"{patcher}/{model}{(nmi ? "/nmi" : "")}";
}

/// <summary>One instruction family of the emulator-vs-Iced check in the JSON.</summary>
public sealed record FamilyReport(string Family, int Forms, int Cases, string Verdict);

/// <summary>Which shard of how many a document holds, and the size of the whole run (to check a merge).</summary>
public sealed record ShardReport(int Index, int Count, int Cells, int Families)
{
    /// <summary>The whole run's cells in order (<see cref="CellReport.NameOf"/>): which run a shard is of, and which cells it must hold.</summary>
    public IReadOnlyList<string> CellNames { get; init; } = [];
}
