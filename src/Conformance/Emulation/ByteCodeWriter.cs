using Iced.Intel;

namespace Conformance.Emulation;

/// <summary>Collects the bytes Iced's encoder or assembler writes (the one such writer of the project).</summary>
public sealed class ByteCodeWriter : CodeWriter
{
    private readonly List<byte> _bytes = new();

    public int Count => _bytes.Count;

    public override void WriteByte(byte value) => _bytes.Add(value);

    public byte[] ToArray() => _bytes.ToArray();
}
