namespace Conformance.Emulation;

/// <summary>Why a CPU stopped. A fault is a finding about the code under test, never a crash of the suite.</summary>
public enum FaultKind : byte
{
    /// <summary>Bytes Iced rejects, or an instruction outside the emulated subset (#UD).</summary>
    InvalidOpcode,
    /// <summary>Instruction fetch from an address no region maps (a jump into nowhere).</summary>
    FetchUnmapped,
    /// <summary>Instruction fetch from a region that holds no code (stack or data).</summary>
    FetchNotExecutable,
    /// <summary>An instruction's bytes run past the end of its region.</summary>
    FetchPastRegionEnd,
    /// <summary>A load from an address no region maps.</summary>
    ReadUnmapped,
    /// <summary>A store to an address no region maps.</summary>
    WriteUnmapped,
    /// <summary>An instruction stored to code or another region instructions may not write.</summary>
    WriteReadOnly,
    /// <summary>A push (or an interrupt frame) would leave the stack region RSP is in.</summary>
    StackOverflow,
    /// <summary>An exception or interrupt vector that has no gate in the interrupt table.</summary>
    NoHandler,
    /// <summary>A host (C#) handler declined the event it was given, e.g. an int3 nobody claims.</summary>
    HandlerDeclined,
    /// <summary>
    /// <c>iretq</c> (or a host routine's interrupt return) popped a CS or SS that ring 0 cannot return
    /// to: #GP on hardware, and here the mark of a trap frame that something overwrote.
    /// </summary>
    BadInterruptFrame,
}

/// <summary>
/// A fault value: the kind, the RIP of the instruction (or event) that caused it, the address
/// involved, and a sentence naming the cause.
/// </summary>
public sealed record Fault(FaultKind Kind, ulong Rip, ulong Address, string Message)
{
    public override string ToString() => $"{Kind} at RIP 0x{Rip:x}: {Message}";
}
