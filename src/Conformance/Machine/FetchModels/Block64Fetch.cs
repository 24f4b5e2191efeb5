namespace Conformance.Machine;

/// <summary>Each aligned 64-byte block is read at one moment.</summary>
public sealed class Block64Fetch() : AlignedBlockFetch(64)
{
    public override string Name => "block64";
    public override string Description => "64-byte cache lines read atomically; an instruction crossing a line can mix two moments";
}
