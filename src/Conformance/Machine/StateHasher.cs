namespace Conformance.Machine;

/// <summary>
/// A 128-bit hash of a state, built by mixing 64-bit words in a fixed order (two independent
/// FNV-style lanes, as the liveness fingerprint uses). Whoever adds a piece of state mixes it with a
/// tag first (<see cref="Tag"/>), so two pieces of different kinds can never be confused by their
/// order. Two states with equal hashes are taken to be equal: with 128 bits, the chance that any two
/// of a billion distinct states collide is below 10^-20.
/// </summary>
public sealed class StateHasher
{
    private ulong _h1 = 14695981039346656037UL, _h2 = 0x9E37_79B9_7F4A_7C15UL;

    /// <summary>Mixes one word.</summary>
    public void Mix(ulong v)
    {
        _h1 = (_h1 ^ v) * 1099511628211UL;
        _h2 = (_h2 + v) * 0xBF58_476D_1CE4_E5B9UL;
        _h2 ^= _h2 >> 29;
    }

    public void Mix(long v) => Mix((ulong)v);
    public void Mix(int v) => Mix((ulong)(long)v);
    public void Mix(bool v) => Mix(v ? 1UL : 0UL);

    /// <summary>Marks the start of a kind of state (a short ASCII name): keeps the pieces apart.</summary>
    public void Tag(string name)
    {
        Mix(0xA5A5_0000_0000_0000UL ^ (ulong)name.Length);
        foreach (char c in name) Mix(c);
    }

    /// <summary>Mixes a byte sequence (its length first), eight bytes at a time.</summary>
    public void Mix(ReadOnlySpan<byte> bytes)
    {
        Mix((ulong)bytes.Length);
        int whole = bytes.Length & ~7;
        foreach (var w in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes[..whole])) Mix(w);
        ulong tail = 0;
        for (int i = whole; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * (i - whole));
        if (whole < bytes.Length) Mix(tail);
    }

    /// <summary>The hash of everything mixed so far.</summary>
    public StateKey Key => new(_h1, _h2);
}

/// <summary>A state's 128-bit hash (<see cref="StateHasher"/>).</summary>
public readonly record struct StateKey(ulong High, ulong Low);
