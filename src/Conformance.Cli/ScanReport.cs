using System.Text.Json;
using Conformance.Patching;
using Conformance.Scanning;

namespace Conformance.Cli;

/// <summary>
/// The JSON of <c>scan --json</c> (spec/scan.md): one entry per file scanned, one per file that could
/// not be, and a <c>format</c> field naming this layout. The same files give the same JSON byte for
/// byte (no timings, no absolute paths but those given).
/// </summary>
public sealed record ScanReport(
    string Format,
    IReadOnlyList<ScanFileReport> Files,
    IReadOnlyList<ScanError> Errors)
{
    public const string CurrentFormat = "conformance-scan/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>Reads a report; anything else throws an <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static ScanReport Parse(string json, string file)
    {
        ScanReport? report;
        try { report = JsonSerializer.Deserialize<ScanReport>(json, Json); }
        catch (JsonException e) { throw new ArgumentException($"{file}: not a scan report ({e.Message})"); }
        if (report is null || report.Format is null) throw new ArgumentException($"{file}: not a scan report (no \"format\" field)");
        if (report.Format != CurrentFormat) throw new ArgumentException($"{file}: a scan report in format '{report.Format}'; this suite reads '{CurrentFormat}'");
        return report;
    }

    /// <summary>The modeled sites of every file, as a layout distribution.</summary>
    public SiteLayouts Layouts(string file)
    {
        try
        {
            return new SiteLayouts(Files.SelectMany(f => f.Layouts ?? []).Select(l =>
                new LayoutBin(Enum.TryParse<SiteKind>(l.SiteKind, out var k) ? k : throw new ArgumentException($"unknown site kind '{l.SiteKind}'"), l.LineOffset, l.Sites)));
        }
        catch (ArgumentException e) { throw new ArgumentException($"{file}: {e.Message}"); }
    }
}

public sealed record ScanError(string Path, string Reason);

public sealed record ScanFileReport(
    string Path,
    string FileType,
    bool Relocatable,
    IReadOnlyList<CodeSectionInfo> CodeSections,
    SweepStats Sweep,
    IReadOnlyList<TableStats> Tables,
    int Sites,
    int ModeledSites,
    IReadOnlyList<KindReport> Kinds,
    IReadOnlyList<ClassReport> Classes,
    IReadOnlyList<LayoutReport> Layouts,
    IReadOnlyList<PatcherReport> Patchers)
{
    public static ScanFileReport Of(BinaryScan scan, IReadOnlyList<PatcherFit> fits)
    {
        var modeled = scan.Sites.Where(s => s.SiteKind is not null).ToArray();
        var kinds = scan.Sites
            .GroupBy(s => (s.Kind, s.SiteKind, s.Length))
            .OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.SiteKind).ThenBy(g => g.Key.Length)
            .Select(g => new KindReport(g.Key.Kind.Name(), g.Key.Kind.Source(), g.Key.SiteKind?.ToString(), g.Key.Length, g.Count(),
                new Straddling(g.Count(s => s.Class.Straddles(8)), g.Count(s => s.Class.Straddles(16)), g.Count(s => s.Class.Straddles(32)), g.Count(s => s.Class.Straddles(64)))))
            .ToArray();
        var classes = modeled.GroupBy(s => (s.SiteKind!.Value, s.Class)).OrderBy(g => g.Key.Item1).ThenBy(g => g.Key.Item2)
            .Select(g => new ClassReport(g.Key.Item1.ToString(), g.Key.Item2.ToString(), g.Count())).ToArray();
        var layouts = SiteLayouts.BinsOf(modeled).Select(b => new LayoutReport(b.Kind.ToString(), b.LineOffset, b.Sites)).ToArray();
        var patchers = fits.Select(f => new PatcherReport(f.Patcher, f.Sites, f.Accepted, f.Declined,
            f.Fallbacks.Select(x => new FallbackReport(x.Reason, x.Sites)).ToArray(),
            f.ByClass.Select(c => new ClassFitReport(c.Kind.ToString(), c.Class.ToString(), c.Sites, c.Accepted)).ToArray())).ToArray();
        return new ScanFileReport(scan.Path, scan.FileType, scan.Relocatable, scan.CodeSections, scan.Sweep, scan.Tables,
            scan.Sites.Count, modeled.Length, kinds, classes, layouts, patchers);
    }
}

/// <summary>Sites of one scan kind, site kind and length, and how many of them straddle each unit.</summary>
public sealed record KindReport(string Kind, string Source, string? SiteKind, int Length, int Sites, Straddling Straddles);

/// <summary>Sites that straddle an 8-byte word, a 16- or 32-byte block, a 64-byte line (each includes the next: a line boundary is a block and word boundary too).</summary>
public sealed record Straddling(int Word8, int Block16, int Block32, int Line64);

public sealed record ClassReport(
    string SiteKind,
    string Class,
    int Sites);

public sealed record LayoutReport(
    string SiteKind,
    int LineOffset,
    int Sites);

public sealed record PatcherReport(
    string Patcher,
    int Sites,
    int Accepted,
    int Declined,
    IReadOnlyList<FallbackReport> Fallbacks,
    IReadOnlyList<ClassFitReport> ByClass);

public sealed record FallbackReport(string Reason, int Sites);

public sealed record ClassFitReport(
    string SiteKind,
    string Class,
    int Sites,
    int Accepted);
