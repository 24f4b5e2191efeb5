namespace Conformance.Emulation;

/// <summary><c>hlt cli sti cpuid</c>; <c>nop pause lfence mfence</c> change nothing and are handled in the step loop.</summary>
internal sealed partial class Executor<TTracer>
{
    /// <summary>The vendor string <c>cpuid</c> leaf 0 returns, in EBX, EDX, ECX order.</summary>
    public const string Vendor = "ConformEmu64";

    private bool Halt()
    {
        _s.Run = RunState.Halted;
        return true;
    }

    private bool Cli()
    {
        _s.Flags &= ~RFlags.IF;
        return true;
    }

    /// <summary>Sets IF; if IF was clear, interrupts stay held off for one more instruction (the STI shadow).</summary>
    private bool Sti()
    {
        if ((_s.Flags & RFlags.IF) == 0) _s.Shadow = InterruptShadow.Sti;
        _s.Flags |= RFlags.IF;
        return true;
    }

    /// <summary>
    /// Serializing. Leaf 0 reports maximum leaf 1 and the vendor <see cref="Vendor"/>; every other
    /// leaf reads as zeros, so no code under test can depend on a real CPU's features.
    /// </summary>
    private bool Cpuid()
    {
        ulong leaf = (uint)Get((int)Gpr.Rax);
        _ = Get((int)Gpr.Rcx);
        ulong a = 0, b = 0, c = 0, dx = 0;
        if (leaf == 0)
        {
            a = 1;
            b = Word(0); dx = Word(4); c = Word(8);
        }
        Set((int)Gpr.Rax, a); Set((int)Gpr.Rbx, b); Set((int)Gpr.Rcx, c); Set((int)Gpr.Rdx, dx);
        _s.LastSerializingTime = _memory.Now;
        return true;

        static ulong Word(int at) => (ulong)(Vendor[at] | Vendor[at + 1] << 8 | Vendor[at + 2] << 16 | Vendor[at + 3] << 24);
    }
}
