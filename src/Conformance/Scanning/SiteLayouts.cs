using Conformance.Patching;

namespace Conformance.Scanning;

/// <summary>How many sites of one kind sit at one line offset (address mod 64).</summary>
public sealed record LayoutBin(SiteKind Kind, int LineOffset, int Sites)
{
    public AlignmentClass Class => AlignmentClass.Of((ulong)LineOffset, Workload.LengthOf(Kind));
}

/// <summary>
/// A distribution of site layouts (kind and line offset) measured in real binaries, for
/// <c>check --layouts-from</c>: generated sites take their kind and line offset from it, each bin as
/// often as it occurs. The line offset and the length decide the alignment class
/// (<see cref="AlignmentClass"/>), and the workload puts a site at line offset k at an address
/// that is k mod 64, so a generated site has the class of the scanned ones it was drawn from.
/// </summary>
public sealed class SiteLayouts
{
    private readonly long[] _cumulative;

    public SiteLayouts(IEnumerable<LayoutBin> bins)
    {
        // One bin per (kind, offset), in a fixed order: the draw from a seed must not depend on input order.
        Bins = bins.Where(b => b.Sites > 0)
            .GroupBy(b => (b.Kind, b.LineOffset))
            .Select(g => new LayoutBin(g.Key.Kind, g.Key.LineOffset, checked(g.Sum(b => b.Sites))))
            .OrderBy(b => b.Kind).ThenBy(b => b.LineOffset)
            .ToArray();
        foreach (var b in Bins)
            if (b.LineOffset is < 0 or > 63) throw new ArgumentException($"line offset {b.LineOffset} of a {b.Kind} bin: must be 0 to 63");
        if (Bins.Count == 0) throw new ArgumentException("the layout distribution has no site the suite models (call, jmp, nop5, cs-call, 2-byte, trampoline)");
        _cumulative = new long[Bins.Count];
        long sum = 0;
        for (int i = 0; i < Bins.Count; i++) _cumulative[i] = sum += Bins[i].Sites;
        Total = sum;
    }

    public IReadOnlyList<LayoutBin> Bins { get; }

    /// <summary>Sites in all bins.</summary>
    public long Total { get; }

    /// <summary>The modeled sites of scanned files, by kind and line offset.</summary>
    public static SiteLayouts FromSites(IEnumerable<ScannedSite> sites) => new(BinsOf(sites));

    /// <summary>The modeled sites by kind and line offset, in kind then offset order (none for no modeled site).</summary>
    public static IReadOnlyList<LayoutBin> BinsOf(IEnumerable<ScannedSite> sites) =>
        sites.Where(s => s.SiteKind is not null)
            .GroupBy(s => (s.SiteKind!.Value, s.LineOffset))
            .OrderBy(g => g.Key.Item1).ThenBy(g => g.Key.Item2)
            .Select(g => new LayoutBin(g.Key.Item1, g.Key.Item2, g.Count()))
            .ToArray();

    /// <summary>The bin that draw <paramref name="r"/> (0 to <see cref="Total"/> - 1) falls in: each bin gets as many draws as it has sites.</summary>
    public LayoutBin At(long r)
    {
        if (r < 0 || r >= Total) throw new ArgumentOutOfRangeException(nameof(r), r, $"a draw is 0 to {Total - 1}");
        int i = Array.BinarySearch(_cumulative, r + 1);
        return Bins[i >= 0 ? i : ~i];
    }

    /// <summary>The layout classes present (kind and alignment class), with their sites, most first.</summary>
    public IReadOnlyList<(SiteKind Kind, AlignmentClass Class, long Sites)> Classes =>
        Bins.GroupBy(b => (b.Kind, b.Class))
            .Select(g => (g.Key.Kind, g.Key.Class, Sites: g.Sum(b => (long)b.Sites)))
            .OrderByDescending(c => c.Sites).ThenBy(c => c.Kind).ThenBy(c => c.Class)
            .ToArray();

    /// <summary>The bins of one layout class that <paramref name="keep"/> keeps; null when none is left.</summary>
    public SiteLayouts? Only(SiteKind kind, AlignmentClass @class, Func<LayoutBin, bool>? keep = null)
    {
        var bins = Bins.Where(b => b.Kind == kind && b.Class == @class && (keep?.Invoke(b) ?? true)).ToArray();
        return bins.Length == 0 ? null : new SiteLayouts(bins);
    }

    /// <summary>A short stable digest of the bins (FNV-1a, 16 hex digits): a replay token carries it, so a case is replayed only from the same distribution.</summary>
    public string Digest
    {
        get
        {
            ulong h = 14695981039346656037UL;
            foreach (var b in Bins)
                foreach (char c in $"{(int)b.Kind}:{b.LineOffset}:{b.Sites};") { h ^= c; h *= 1099511628211UL; }
            return h.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
