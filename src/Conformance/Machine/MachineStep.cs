namespace Conformance.Machine;

/// <summary>What one machine step did on the CPU that took it.</summary>
public enum MachineStepKind : byte
{
    /// <summary>An x86 instruction retired.</summary>
    Instruction,
    /// <summary>An <c>int3</c> trapped to the #BP gate.</summary>
    Trap,
    /// <summary>An interrupt, NMI or IPI was delivered.</summary>
    Delivered,
    /// <summary>The CPU is halted with nothing deliverable.</summary>
    Halted,
    /// <summary>The CPU has faulted.</summary>
    Faulted,
    /// <summary>A writer step ran (store, sync started or finished).</summary>
    Writer,
    /// <summary>The writer is waiting for sync acknowledgements.</summary>
    Waiting,
    /// <summary>The CPU has nothing to run: no task, or a writer that finished.</summary>
    Idle,
}
