namespace Conformance.Patching;

/// <summary>Bytes of code at an address: what a change writes outside its site (a hot-patch's jmp in the padding before the entry).</summary>
public sealed record CodeBytes(ulong Address, byte[] Bytes)
{
    public ulong End => Address + (ulong)Bytes.Length;
    public override string ToString() => $"0x{Address:x}: {Forms.Hex(Bytes)}";
}

/// <summary>A range of code bytes a patcher declares its own for one change, beyond its site (padding it writes, a neighbour's bytes it writes back).</summary>
public sealed record CodeRange(ulong Address, int Length, string What = "declared by the patcher")
{
    public ulong End => Address + (ulong)Length;
    public bool Contains(ulong address) => address >= Address && address < End;
    public override string ToString() => $"[0x{Address:x}, 0x{End:x}) {What}";
}
