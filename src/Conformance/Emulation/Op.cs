namespace Conformance.Emulation;

/// <summary>The emulator's operation for a decoded instruction: one member per executed behaviour.</summary>
internal enum Op : byte
{
    /// <summary>Not in the subset: executing it raises #UD.</summary>
    Unsupported,
    Nop, Pause, Lfence, Mfence, Hlt, Cli, Sti, Cpuid,
    Int3, Iretq,
    Pushfq, Popfq, Push, Pop,
    Mov, Lea,
    Add, Sub, Cmp, And, Or, Xor, Test, Inc, Dec, Xadd, Cmpxchg,
    CallRel, CallIndirect, JmpRel, JmpIndirect, Jcc, Ret,
    /// <summary>Not an instruction: the address is bound to a host (C#) routine.</summary>
    HostRoutine,
}
