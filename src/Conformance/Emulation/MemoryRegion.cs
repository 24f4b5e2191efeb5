namespace Conformance.Emulation;

/// <summary>One contiguous, named range of emulated memory.</summary>
public sealed class MemoryRegion
{
    internal MemoryRegion(string name, RegionKind kind, ulong @base, int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"region '{name}' must have a positive size");
        if (@base + (ulong)size < @base) throw new ArgumentOutOfRangeException(nameof(@base), $"region '{name}' wraps around the address space");
        Name = name;
        Kind = kind;
        Base = @base;
        End = @base + (ulong)size;
        Bytes = new byte[size];
        History = IsExecutable ? new ByteHistory(size) : null;
    }

    public string Name { get; }
    public RegionKind Kind { get; }
    /// <summary>First address.</summary>
    public ulong Base { get; }
    /// <summary>One past the last address.</summary>
    public ulong End { get; }
    /// <summary>The current contents.</summary>
    public byte[] Bytes { get; }
    /// <summary>Timestamped history of every byte, for executable regions; null otherwise.</summary>
    public ByteHistory? History { get; }

    public int Size => Bytes.Length;
    /// <summary>Text and stubs hold code that CPUs fetch.</summary>
    public bool IsExecutable => Kind is RegionKind.Text or RegionKind.Stub;
    /// <summary>Instructions may store here (stacks and data). Code is written only through <see cref="Memory.Poke"/>.</summary>
    public bool IsWritableByInstructions => Kind is RegionKind.Stack or RegionKind.Data;

    public bool Contains(ulong address) => address - Base < (ulong)Bytes.Length;
    public bool Contains(ulong address, int length) => Contains(address) && address - Base + (ulong)length <= (ulong)Bytes.Length;

    public override string ToString() => $"{Kind} '{Name}' [0x{Base:x}, 0x{End:x})";
}
