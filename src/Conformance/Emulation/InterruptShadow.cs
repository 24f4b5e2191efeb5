namespace Conformance.Emulation;

/// <summary>
/// The one-instruction window after <c>sti</c> (when it sets IF) or <c>mov ss</c> during which
/// maskable interrupts are held off (SDM vol. 3, 6.8.3). Whether an NMI may land in an STI shadow
/// is a machine switch (<see cref="CpuOptions.NmiMayEndStiShadow"/>); the MOV-SS shadow blocks NMIs.
/// </summary>
public enum InterruptShadow : byte
{
    /// <summary>No shadow: events may be delivered at this boundary.</summary>
    None,
    /// <summary>The instruction before this boundary was an <c>sti</c> that changed IF from 0 to 1.</summary>
    Sti,
    /// <summary>The instruction before this boundary loaded SS.</summary>
    MovSs,
}
