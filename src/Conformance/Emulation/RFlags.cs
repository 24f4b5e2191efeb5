namespace Conformance.Emulation;

/// <summary>The RFLAGS bits the emulator models. Other bits read as zero, except bit 1, which is always one.</summary>
[Flags]
public enum RFlags : ulong
{
    None = 0,
    /// <summary>Carry flag.</summary>
    CF = 1UL << 0,
    /// <summary>Bit 1 is reserved and always reads as one.</summary>
    Reserved1 = 1UL << 1,
    /// <summary>Parity flag: even number of set bits in the low byte of the result.</summary>
    PF = 1UL << 2,
    /// <summary>Auxiliary carry: carry or borrow out of bit 3.</summary>
    AF = 1UL << 4,
    /// <summary>Zero flag.</summary>
    ZF = 1UL << 6,
    /// <summary>Sign flag.</summary>
    SF = 1UL << 7,
    /// <summary>Trap flag (stored, never acted on: single-stepping is not modeled).</summary>
    TF = 1UL << 8,
    /// <summary>Interrupt enable flag: maskable interrupts (timer, IPI) are taken only when set.</summary>
    IF = 1UL << 9,
    /// <summary>Direction flag (stored; no string instructions are in the subset).</summary>
    DF = 1UL << 10,
    /// <summary>Overflow flag.</summary>
    OF = 1UL << 11,

    /// <summary>The six arithmetic status flags.</summary>
    Arithmetic = CF | PF | AF | ZF | SF | OF,
    /// <summary>Every bit <c>popfq</c> and <c>iretq</c> may load; the rest are forced to their fixed values.</summary>
    Loadable = Arithmetic | TF | IF | DF,
}
