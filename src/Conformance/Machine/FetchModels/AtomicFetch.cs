namespace Conformance.Machine;

/// <summary>The whole instruction is read at one moment: only the writer can tear it.</summary>
public sealed class AtomicFetch : IFetchModel
{
    public string Name => "atomic";
    public string Description => "the whole instruction is read at one moment (the optimist's view: only the writer can tear)";

    /// <summary>One unit: the 15 bytes from RIP, the longest an instruction can be.</summary>
    public (ulong Start, ulong End) UnitOf(ulong address, ulong rip) => (rip, rip + 15);
}
