namespace Conformance.Machine;

/// <summary>
/// Each byte is read at its own moment: all that Intel (SDM vol. 3, 8.1.3) and AMD (APM vol. 2,
/// 7.6.1) promise for cross-modifying code that the executing CPU has not serialized after.
/// </summary>
public sealed class ArchitecturalFetch : IFetchModel
{
    public string Name => "architectural";
    public string Description => "each byte is read at its own moment: only what the vendors promise until the executing CPU serializes";

    public (ulong Start, ulong End) UnitOf(ulong address, ulong rip) => (address, address + 1);
}
