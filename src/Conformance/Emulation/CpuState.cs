namespace Conformance.Emulation;

/// <summary>The architectural state of one CPU that the emulator models.</summary>
public sealed class CpuState
{
    /// <summary>The 16 general-purpose registers, indexed by <see cref="Gpr"/>.</summary>
    public readonly ulong[] Gpr = new ulong[16];

    /// <summary>The address of the next instruction.</summary>
    public ulong Rip;

    /// <summary>RFLAGS: exact arithmetic flags and IF (bit 1 always set).</summary>
    public RFlags Flags = RFlags.Reserved1;

    /// <summary>The interrupt shadow in force at the current instruction boundary.</summary>
    public InterruptShadow Shadow;

    /// <summary>Set when an NMI is delivered; cleared by the next <c>iretq</c>.</summary>
    public bool NmiBlocked;

    /// <summary>The clock value of this CPU's last serializing event (delivery, <c>iretq</c>, <c>cpuid</c>, sync).</summary>
    public long LastSerializingTime;

    /// <summary>Whether the CPU runs, is halted or has faulted.</summary>
    public RunState Run;

    /// <summary>The fault that stopped this CPU, when <see cref="Run"/> is <see cref="RunState.Faulted"/>.</summary>
    public Fault? Fault;

    public ulong this[Gpr r]
    {
        get => Gpr[(int)r];
        set => Gpr[(int)r] = value;
    }

    public ulong Rsp { get => Gpr[(int)Emulation.Gpr.Rsp]; set => Gpr[(int)Emulation.Gpr.Rsp] = value; }

    public bool InterruptsEnabled => (Flags & RFlags.IF) != 0;

    /// <summary>Makes this state a copy of <paramref name="other"/> (every field <see cref="Clone"/> copies).</summary>
    public void CopyFrom(CpuState other)
    {
        Array.Copy(other.Gpr, Gpr, 16);
        Rip = other.Rip; Flags = other.Flags; Shadow = other.Shadow; NmiBlocked = other.NmiBlocked;
        LastSerializingTime = other.LastSerializingTime; Run = other.Run; Fault = other.Fault;
    }

    /// <summary>A deep copy, for tests and for comparing effects.</summary>
    public CpuState Clone()
    {
        var copy = new CpuState { Rip = Rip, Flags = Flags, Shadow = Shadow, NmiBlocked = NmiBlocked,
            LastSerializingTime = LastSerializingTime, Run = Run, Fault = Fault };
        Array.Copy(Gpr, copy.Gpr, 16);
        return copy;
    }
}
