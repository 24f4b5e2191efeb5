namespace Conformance.Emulation;

/// <summary>What a memory region holds. The kind decides who may write it and whether it keeps history.</summary>
public enum RegionKind : byte
{
    /// <summary>Kernel text: executable, written only by a patcher, with a timestamped byte history.</summary>
    Text,
    /// <summary>Patcher stubs and trampolines: executable, written only by a patcher, with history.</summary>
    Stub,
    /// <summary>A task's stack: instructions read and write it; pushes must stay inside it.</summary>
    Stack,
    /// <summary>Ordinary data (counters, locks, flags): instructions read and write it.</summary>
    Data,
}
