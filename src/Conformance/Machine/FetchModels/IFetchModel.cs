namespace Conformance.Machine;

/// <summary>
/// How a CPU's instruction fetch reads bytes that another CPU may be writing (design brief,
/// section 3). The fetch of an instruction at RIP reads its bytes in fetch units; each unit is read
/// at one moment, chosen by the schedule's fetch choices between the CPU's last serializing event
/// and now (no further back than the machine's staleness window). A model only says where units
/// begin and end; <see cref="InstructionFetcher"/> does the rest, the same way for every model.
/// Adding a model is one new file with a class implementing this interface and a public
/// parameterless constructor: <see cref="FetchModelRegistry"/> finds it.
/// </summary>
public interface IFetchModel
{
    /// <summary>Stable kebab-case name (<c>block16</c>).</summary>
    string Name { get; }

    /// <summary>One line: what the model stands for.</summary>
    string Description { get; }

    /// <summary>
    /// The fetch unit holding <paramref name="address"/>, for an instruction fetched at
    /// <paramref name="rip"/>: [start, end). It must contain <paramref name="address"/>.
    /// </summary>
    (ulong Start, ulong End) UnitOf(ulong address, ulong rip);
}

/// <summary>Shared shape of the aligned-block models.</summary>
public abstract class AlignedBlockFetch(int blockSize) : IFetchModel
{
    public int BlockSize { get; } = blockSize;
    public abstract string Name { get; }
    public abstract string Description { get; }

    public (ulong Start, ulong End) UnitOf(ulong address, ulong rip)
    {
        ulong start = address & ~(ulong)(BlockSize - 1);
        return (start, start + (ulong)BlockSize);
    }
}
