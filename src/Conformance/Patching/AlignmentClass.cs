using System.Globalization;

namespace Conformance.Patching;

/// <summary>
/// Where a site's bytes fall against the fetch and store units the fetch models and patchers care
/// about (8-byte words, 16- and 32-byte blocks, 64-byte lines): <see cref="Boundary"/> is the
/// largest of 8, 16, 32, 64 that the site straddles (0: it fits in one 8-byte word) and
/// <see cref="SplitAfter"/> how many of its bytes lie before that boundary. A site of at most 8
/// bytes crosses at most one 8-byte boundary, and a multiple of 64 is also one of 32, 16 and 8, so
/// the pair says which units the site straddles and where: <c>s64@2</c> is Rostedt's split (two
/// bytes, then the next line), which also splits a 32- and a 16-byte block and a word there.
/// </summary>
/// <remarks>
/// The class depends only on the line offset (address mod 64) and the length. This is the one
/// function that says it; <c>scan</c> counts sites by it and <c>check --layouts-from</c> groups
/// layouts by it (spec/scan.md).
/// </remarks>
public readonly record struct AlignmentClass(int Boundary, int SplitAfter) : IComparable<AlignmentClass>
{
    /// <summary>The unit sizes, smallest first.</summary>
    public static readonly int[] Boundaries = [8, 16, 32, 64];

    /// <summary>The class of a site of <paramref name="length"/> bytes (1 to 8) at <paramref name="address"/>.</summary>
    public static AlignmentClass Of(ulong address, int length)
    {
        if (length is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(length), length, "a site is 1 to 8 bytes");
        ulong last = address + (ulong)length - 1;
        if (address / 8 == last / 8) return new AlignmentClass(0, 0);
        ulong boundary = last / 8 * 8;                      // the one 8-byte boundary inside the site
        int largest = Boundaries.Last(b => boundary % (ulong)b == 0);
        return new AlignmentClass(largest, (int)(boundary - address));
    }

    /// <summary>Whether a site of this class straddles a boundary of <paramref name="unit"/> bytes (8, 16, 32 or 64).</summary>
    public bool Straddles(int unit) => Boundary >= unit;

    public bool FitsInWord => Boundary == 0;

    /// <summary>Short stable name: <c>fits8</c>, or <c>s16@3</c> (straddles a 16-byte block after byte 3).</summary>
    public override string ToString() => FitsInWord ? "fits8" : $"s{Boundary}@{SplitAfter}";

    /// <summary>In words: "fits in an 8-byte word", "straddles a 64-byte line after byte 2".</summary>
    public string Describe() => Boundary switch
    {
        0 => "fits in an 8-byte word",
        8 => $"straddles an 8-byte word after byte {SplitAfter}",
        64 => $"straddles a 64-byte line after byte {SplitAfter}",
        _ => $"straddles a {Boundary}-byte block after byte {SplitAfter}",
    };

    /// <summary>Parses <see cref="ToString"/>'s form; anything else throws an <see cref="ArgumentException"/>.</summary>
    public static AlignmentClass Parse(string text)
    {
        if (text == "fits8") return new AlignmentClass(0, 0);
        var p = text.StartsWith('s') ? text[1..].Split('@') : [];
        if (p.Length == 2 && int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out int b) && Boundaries.Contains(b)
            && int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is >= 1 and <= 7)
            return new AlignmentClass(b, k);
        throw new ArgumentException($"'{text}' is not an alignment class (fits8, or sB@K with B 8, 16, 32 or 64 and K 1 to 7)");
    }

    /// <summary>Fits-in-a-word first, then by boundary, then by split.</summary>
    public int CompareTo(AlignmentClass other) =>
        Boundary != other.Boundary ? Boundary.CompareTo(other.Boundary) : SplitAfter.CompareTo(other.SplitAfter);
}
