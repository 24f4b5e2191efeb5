namespace Conformance.Probe.Layout;

/// <summary>What an instruction a CPU may execute at the site is, for counting.</summary>
public enum MixtureKind
{
    /// <summary>The old call.</summary>
    Old,
    /// <summary>The new call.</summary>
    New,
    /// <summary>A holding instruction (the jmp-to-self spin): not a call, counts nothing.</summary>
    Holding,
    /// <summary>Neither: a call or jmp made of bytes of different snapshots (or of the writer's own half-written state).</summary>
    Torn,
}

/// <summary>
/// One instruction the site can decode to, given the values each of its bytes takes during a cycle:
/// its bytes, what it is, where it goes (a counting stub) and the counter that stub increments.
/// </summary>
public sealed record Mixture(byte[] Bytes, MixtureKind Kind, string Instruction, ulong Target, int Counter, bool IsJmp)
{
    public string Hex => string.Join(' ', Bytes.Select(b => b.ToString("x2")));

    /// <summary>
    /// Per byte of the site: <c>o</c> the old value, <c>n</c> the new one, <c>-</c> a byte that does
    /// not change, <c>x</c> any other value (the spin's): how a torn fetch is matched across layouts.
    /// </summary>
    public static string Pattern(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> old, ReadOnlySpan<byte> @new)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            chars[i] = i < old.Length && old[i] == @new[i] && bytes[i] == old[i] ? '-'
                : i < old.Length && bytes[i] == old[i] ? 'o'
                : i < @new.Length && bytes[i] == @new[i] ? 'n'
                : 'x';
        return new string(chars);
    }

    public override string ToString() => $"{Hex} ({Instruction}, {Kind.ToString().ToLowerInvariant()})";
}
