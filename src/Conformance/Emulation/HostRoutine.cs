namespace Conformance.Emulation;

/// <summary>What the CPU does when a host routine returns.</summary>
public enum HostAction : byte
{
    /// <summary>Return from the interrupt: <c>iretq</c> through the (possibly edited) frame at RSP.</summary>
    InterruptReturn,
    /// <summary>Return like <c>ret</c>: pop RIP from the stack.</summary>
    Return,
    /// <summary>The routine refuses the event (an int3 nobody claims): the CPU faults with the reason.</summary>
    Decline,
}

/// <summary>A host routine's answer.</summary>
public readonly record struct HostOutcome(HostAction Action, string? Reason = null)
{
    public static HostOutcome InterruptReturn => new(HostAction.InterruptReturn);
    public static HostOutcome Return => new(HostAction.Return);
    public static HostOutcome Declined(string reason) => new(HostAction.Decline, reason);
}

/// <summary>
/// Code written in C# that a CPU runs, as one step, when RIP reaches the address it is bound to
/// (see <see cref="DecodeCache.BindHost"/>). An interrupt handler reads and edits the trap frame
/// in memory, as a kernel handler edits <c>pt_regs</c>, then asks for <see cref="HostAction.InterruptReturn"/>.
/// </summary>
public interface IHostRoutine
{
    /// <summary>A short name for traces.</summary>
    string Name { get; }

    /// <summary>Runs on <paramref name="cpu"/>; RSP points at the trap frame when entered through a gate.</summary>
    HostOutcome Run(Cpu cpu);
}
