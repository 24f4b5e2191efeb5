namespace Conformance.Machine;

/// <summary>Each aligned 32-byte block is read at one moment.</summary>
public sealed class Block32Fetch() : AlignedBlockFetch(32)
{
    public override string Name => "block32";
    public override string Description => "32-byte fetch windows read atomically; an instruction crossing a window boundary can mix two moments";
}
