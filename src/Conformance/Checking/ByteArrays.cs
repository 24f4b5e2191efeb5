namespace Conformance.Checking;

/// <summary>Byte arrays compared by content (instruction versions).</summary>
internal sealed class ByteArrays : IEqualityComparer<byte[]>
{
    public static readonly ByteArrays Comparer = new();
    public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);
    public int GetHashCode(byte[] b) => b.Length == 0 ? 0 : b[0] | b.Length << 8 | b[^1] << 16;
}
