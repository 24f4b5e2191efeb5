using System.Globalization;

namespace Conformance.Generators.Campaigns;

/// <summary>
/// The suite's own replay token for one matrix case: the format version, the cell (patcher, model,
/// NMI switch, maximum CPUs), FsCheck's triple for the failing case and, when the campaign searched
/// schedules with an adaptive strategy, its name as a ninth field (a token without it means the
/// default, <c>uniform-random</c>, as every token of this version always has). <c>replay TOKEN</c>
/// runs exactly that case again. A token from another version is refused, because the generators it
/// was made with may have changed.
/// </summary>
public sealed record ReplayToken(string Patcher, string Model, bool Nmi, int MaxCpus, ulong Seed, ulong Gamma, int Size)
{
    public const string Version = "cf1";

    /// <summary>The schedule search of the campaign that printed the token (<see cref="ScheduleSearch"/>).</summary>
    public string Strategy { get; init; } = ScheduleSearch.DefaultName;

    /// <summary>The digest of the scanned layouts the sites were drawn from (<c>check --layouts-from</c>), or null; a last field <c>layouts-DIGEST</c>.</summary>
    public string? Layouts { get; init; }

    /// <summary>With <c>--by-class</c>: the one layout class the sites were drawn from (<c>Call/s16@2</c>), appended to the layouts field.</summary>
    public string? LayoutClass { get; init; }

    private const string LayoutsPrefix = "layouts-";

    public override string ToString()
    {
        var text = string.Join(':', Version, Patcher, Model, Nmi ? "nmi" : "-", MaxCpus.ToString(CultureInfo.InvariantCulture),
            Seed.ToString(CultureInfo.InvariantCulture), Gamma.ToString(CultureInfo.InvariantCulture), Size.ToString(CultureInfo.InvariantCulture));
        if (Strategy != ScheduleSearch.DefaultName) text = $"{text}:{Strategy}";
        return Layouts is null ? text : $"{text}:{LayoutsPrefix}{Layouts}{(LayoutClass is null ? "" : "/" + LayoutClass)}";
    }

    /// <summary>Parses a token; a malformed one, or one from another version, throws an <see cref="ArgumentException"/> saying which.</summary>
    public static ReplayToken Parse(string text)
    {
        var p = text.Trim().Split(':');
        string? layouts = p.Length is 9 or 10 && p[^1].StartsWith(LayoutsPrefix, StringComparison.Ordinal) ? p[^1][LayoutsPrefix.Length..] : null;
        string? layoutClass = null;
        if (layouts is not null)
        {
            int slash = layouts.IndexOf('/');
            if (slash >= 0) (layouts, layoutClass) = (layouts[..slash], layouts[(slash + 1)..]);
            if (layouts.Length != 16 || !layouts.All(Uri.IsHexDigit)) throw new ArgumentException($"replay token '{text}': the layouts digest must be 16 hex digits");
            if (layoutClass is not null && layoutClass.Split('/').Length != 2) throw new ArgumentException($"replay token '{text}': the layout class must be KIND/CLASS");
            p = p[..^1];
        }
        if (p.Length is not (8 or 9)) throw new ArgumentException($"replay token '{text}' is not a token of this suite (expected 8 to 10 fields separated by ':')");
        if (p[0] != Version) throw new ArgumentException($"replay token '{text}' is from format {p[0]}; this version of the suite reads {Version}, and its cases may differ");
        if (!int.TryParse(p[4], NumberStyles.None, CultureInfo.InvariantCulture, out int cpus) ||
            !ulong.TryParse(p[5], NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed) ||
            !ulong.TryParse(p[6], NumberStyles.None, CultureInfo.InvariantCulture, out ulong gamma) ||
            !int.TryParse(p[7], NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            throw new ArgumentException($"replay token '{text}' has a field that is not a number");
        if (p[3] is not ("nmi" or "-")) throw new ArgumentException($"replay token '{text}': the NMI field must be 'nmi' or '-'");
        string strategy = p.Length == 9 ? p[8] : ScheduleSearch.DefaultName;
        if (ScheduleSearch.All.All(s => s.Name != strategy))
            throw new ArgumentException($"replay token '{text}' names schedule strategy '{strategy}'; known: {string.Join(", ", ScheduleSearch.All.Select(s => s.Name))}");
        return new ReplayToken(p[1], p[2], p[3] == "nmi", cpus, seed, gamma, size) { Strategy = strategy, Layouts = layouts, LayoutClass = layoutClass };
    }
}
