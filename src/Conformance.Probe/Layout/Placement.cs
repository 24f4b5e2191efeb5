using System.Globalization;

namespace Conformance.Probe.Layout;

/// <summary>
/// Where the 5-byte site <c>e8 rel32</c> sits in its 64-byte line: its line offset. The fetch models
/// only look at alignment up to 64 bytes, so the line offset is all a placement is. The named ones
/// are issue 15's: inside a 16-byte block, and straddling a 16-, 32- or 64-byte boundary with
/// <c>j</c> bytes (1 to 4) before it.
/// </summary>
public sealed record Placement(string Name, int LineOffset)
{
    public const int SiteLength = 5;

    /// <summary>The site starts a 16-byte block (and an aligned quadword): it crosses no boundary.</summary>
    public static readonly Placement Inside16 = new("inside16", 16);

    /// <summary>inside16, then straddle16@1..4, straddle32@1..4, straddle64@1..4.</summary>
    public static IReadOnlyList<Placement> All { get; } =
    [
        Inside16,
        .. Straddles(16), .. Straddles(32), .. Straddles(64),
    ];

    private static IEnumerable<Placement> Straddles(int boundary) =>
        Enumerable.Range(1, 4).Select(j => new Placement($"straddle{boundary}@{j}", boundary - j));

    /// <summary>The largest power-of-two boundary (16, 32, 64) the site crosses, and after how many of its bytes; null when inside.</summary>
    public (int Boundary, int After)? Straddle
    {
        get
        {
            for (int b = 64; b >= 16; b /= 2)
            {
                int next = (LineOffset / b + 1) * b;   // the first b-boundary after the site's first byte
                if (next < LineOffset + SiteLength) return (b, next - LineOffset);
            }
            return null;
        }
    }

    public string Description => Straddle is { } s
        ? $"line offset {LineOffset}: the site crosses a {s.Boundary}-byte boundary after {s.After} byte{(s.After == 1 ? "" : "s")}"
        : $"line offset {LineOffset}: the site lies inside one 16-byte block";

    /// <summary>A named placement, or <c>offsetN</c> for any line offset 0..63; an unknown name throws, listing the known ones.</summary>
    public static Placement Parse(string text)
    {
        if (All.FirstOrDefault(p => p.Name == text) is { } named) return named;
        if (text.StartsWith("offset", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 0 and < 64)
            return ForLineOffset(n);
        throw new ArgumentException($"unknown placement '{text}'; known: {string.Join(", ", All.Select(p => p.Name))}, or offsetN (N = 0..63, the site's line offset)");
    }

    /// <summary>The placement of a site at this line offset: a named one when there is one, else <c>offsetN</c>.</summary>
    public static Placement ForLineOffset(int offset)
    {
        if (offset is < 0 or >= 64) throw new ArgumentOutOfRangeException(nameof(offset), $"line offset {offset}: must be 0..63");
        return All.FirstOrDefault(p => p.LineOffset == offset) ?? new Placement($"offset{offset}", offset);
    }

    public override string ToString() => Name;
}
