using Conformance.Checking.Tokens;
using Conformance.Machine;
using F = Conformance.Checking.Tokens.TokenFields;

namespace Conformance.Generators.Campaigns;

/// <summary>
/// The suite's own replay token for one matrix case,
/// <c>cf2:PATCHER:MODEL:NMI:CPUS:SEED:GAMMA:SIZE[:STRATEGY[:PLUGIN[:LAYOUTS[:CLASS]]]]:CHECKSUM</c>: the cell (patcher,
/// fetch model, NMI switch, maximum CPUs), FsCheck's triple for the failing case, the schedule
/// search when it is not the default (<c>uniform-random</c>), the plug-in the patcher comes from
/// (its path as given to <c>--plugin</c>), the digest of the scanned layouts the sites were drawn
/// from and the layout class of a <c>--by-class</c> run (spec/scan.md), and a checksum over all of it (<see cref="TokenChecksum"/>).
/// <c>replay TOKEN</c> runs exactly that case again. Every field is checked against what the format
/// and the machine allow, and a token whose checksum does not match is refused as damaged. A token
/// of another version (<c>cf1</c> had no checksum) is refused, because its case may differ.
/// </summary>
public sealed record ReplayToken(string Patcher, string Model, bool Nmi, int MaxCpus, ulong Seed, ulong Gamma, int Size)
{
    public const string Version = "cf2";

    /// <summary>The schedule search of the campaign that printed the token (<see cref="ScheduleSearch"/>).</summary>
    public string Strategy { get; init; } = ScheduleSearch.DefaultName;

    /// <summary>The plug-in the patcher comes from, as given to <c>--plugin</c>; null for a built-in patcher.</summary>
    public string? Plugin { get; init; }

    /// <summary>The digest of the scanned layouts the sites were drawn from (<c>check --layouts-from</c>, spec/scan.md), or null.</summary>
    public string? Layouts { get; init; }

    /// <summary>With <c>--by-class</c>: the one layout class the sites were drawn from (<c>Call/s16@2</c>), or null.</summary>
    public string? LayoutClass { get; init; }

    /// <summary>The format: one row per field, in order (adding a field is one row, with a default if old tokens should still read).</summary>
    public static TokenFormat<ReplayToken> Format { get; } = new("replay token", Version, new ReplayToken("", "", false, 0, 0, 0, 0),
    [
        F.Text<ReplayToken>("patcher", t => t.Patcher, (t, v) => t with { Patcher = v }),
        F.Text<ReplayToken>("fetch model", t => t.Model, (t, v) => t with { Model = F.Known("fetch model", v, FetchModelRegistry.BuiltIn.Select(m => m.Name)) }),
        F.Flag<ReplayToken>("NMI switch", "nmi", t => t.Nmi, (t, v) => t with { Nmi = v }),
        F.Int<ReplayToken>("CPU count", 1, 8, t => t.MaxCpus, (t, v) => t with { MaxCpus = v }),   // a machine has 1 to 8 CPUs
        F.UInt64<ReplayToken>("seed", t => t.Seed, (t, v) => t with { Seed = v }),
        F.UInt64<ReplayToken>("gamma", t => t.Gamma, (t, v) => t with { Gamma = v }, g => g % 2 == 0 ? "is even; FsCheck's gamma is always odd" : null),
        F.Int<ReplayToken>("size", 0, MatrixCampaign.EndSize, t => t.Size, (t, v) => t with { Size = v }),
        F.Text<ReplayToken>("schedule strategy", t => t.Strategy, (t, v) => t with { Strategy = F.Known("schedule strategy", v, ScheduleSearch.All.Select(s => s.Name)) }) with { Default = ScheduleSearch.DefaultName },
        F.OptionalText<ReplayToken>("plug-in", t => t.Plugin, (t, v) => t with { Plugin = v }),
        F.OptionalText<ReplayToken>("layouts digest", t => t.Layouts, (t, v) => t with { Layouts = v is null || v.Length == 16 && v.All(char.IsAsciiHexDigitLower) ? v : throw new TokenFieldException("is not 16 lower-case hex digits") }),
        F.OptionalText<ReplayToken>("layout class", t => t.LayoutClass, (t, v) => t with { LayoutClass = v is null || v.Split('/').Length == 2 ? v : throw new TokenFieldException("is not KIND/CLASS, e.g. Call/s16@2") }),
    ]);

    public override string ToString() => Format.Write(this);

    /// <summary>Parses a token; a malformed or damaged one, or one of another version, throws an <see cref="ArgumentException"/> saying which.</summary>
    public static ReplayToken Parse(string text) => Format.Read(text);
}
