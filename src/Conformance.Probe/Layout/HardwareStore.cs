namespace Conformance.Probe.Layout;

/// <summary>
/// One store of the probe's writer: <see cref="Bytes"/> (1, 2, 4 or 8 of them: one x86 <c>mov</c>)
/// at <see cref="Offset"/> bytes from the site's first byte.
/// </summary>
public sealed record HardwareStore(int Offset, byte[] Bytes)
{
    public static readonly int[] Widths = [1, 2, 4, 8];

    public byte[] Bytes { get; } = Widths.Contains(Bytes.Length) ? Bytes : throw new ArgumentException($"a store of {Bytes.Length} bytes is not one x86 mov (1, 2, 4 or 8 bytes)");

    public override string ToString() => $"store{Bytes.Length * 8} site{(Offset < 0 ? "-" : "+")}{Math.Abs(Offset)} <- {Convert.ToHexString(Bytes).ToLowerInvariant()}";

    /// <summary>
    /// A store of any width as x86 stores: itself when it is 1, 2, 4 or 8 bytes, else pieces of
    /// 8, 4, 2 and 1 bytes in address order (what a <c>memcpy</c> of that length does).
    /// </summary>
    public static IEnumerable<HardwareStore> Pieces(int offset, byte[] bytes)
    {
        int at = 0;
        while (at < bytes.Length)
        {
            int width = Widths.Reverse().First(w => w <= bytes.Length - at);
            yield return new HardwareStore(offset + at, bytes[at..(at + width)]);
            at += width;
        }
    }
}

/// <summary>
/// What a row writes at one placement: the stores of one flip cycle (old to new, then new back to
/// old, which the writer repeats), or why the row does not apply there.
/// </summary>
public sealed record RowCycle(IReadOnlyList<HardwareStore> Stores, int Forward, string? NotApplicable = null)
{
    public static RowCycle Declined(string why) => new(Array.Empty<HardwareStore>(), 0, why);

    public bool Applies => NotApplicable is null;

    public override string ToString() => Applies ? string.Join("; ", Stores) : $"n/a: {NotApplicable}";
}
