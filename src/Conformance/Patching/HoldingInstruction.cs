namespace Conformance.Patching;

/// <summary>
/// An instruction besides <c>int3</c> that a CPU may observe at a site while it is being patched (a
/// spin, say), placed at <see cref="Offset"/> bytes into the site: a fetch at that offset (or at an
/// instruction boundary inside it) may decode it, and the patcher may store its bytes there.
/// </summary>
public sealed record HoldingInstruction(byte[] Bytes, int Offset = 0)
{
    /// <summary>Whether a store of <paramref name="value"/> at <paramref name="siteOffset"/> writes one of its bytes.</summary>
    public bool Holds(int siteOffset, byte value) =>
        siteOffset >= Offset && siteOffset - Offset < Bytes.Length && Bytes[siteOffset - Offset] == value;

    public override string ToString() => $"{Forms.Hex(Bytes)} at +{Offset}";
}
