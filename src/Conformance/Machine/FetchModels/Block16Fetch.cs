namespace Conformance.Machine;

/// <summary>Each aligned 16-byte block is read at one moment.</summary>
public sealed class Block16Fetch() : AlignedBlockFetch(16)
{
    public override string Name => "block16";
    public override string Description => "16-byte fetch chunks read atomically; an instruction crossing a chunk boundary can mix two moments";
}
