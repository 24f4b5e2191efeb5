namespace Conformance.Emulation;

/// <summary>Whether a CPU can make progress.</summary>
public enum RunState : byte
{
    /// <summary>Executing instructions.</summary>
    Running,
    /// <summary>Stopped by <c>hlt</c> until an interrupt is delivered.</summary>
    Halted,
    /// <summary>Stopped for good by a <see cref="Fault"/>; the run is over for this CPU.</summary>
    Faulted,
}
