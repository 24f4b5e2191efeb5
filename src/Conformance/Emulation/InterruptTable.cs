namespace Conformance.Emulation;

/// <summary>How a gate treats IF on delivery.</summary>
public enum GateKind : byte
{
    /// <summary>Clears IF: the handler runs with maskable interrupts off.</summary>
    Interrupt,
    /// <summary>Leaves IF as it was.</summary>
    Trap,
}

/// <summary>One IDT entry: where the handler is and what kind of gate leads to it.</summary>
public readonly record struct Gate(ulong Handler, GateKind Kind);

/// <summary>Architectural vector numbers the emulator delivers.</summary>
public static class Vectors
{
    /// <summary>Non-maskable interrupt.</summary>
    public const byte Nmi = 2;
    /// <summary>Breakpoint (#BP), raised by <c>int3</c>.</summary>
    public const byte Breakpoint = 3;
}

/// <summary>The interrupt descriptor table shared by the CPUs of a machine: 256 optional gates.</summary>
public sealed class InterruptTable
{
    private readonly Gate?[] _gates = new Gate?[256];

    public Gate? this[byte vector] => _gates[vector];

    public void Set(byte vector, ulong handler, GateKind kind = GateKind.Interrupt) => _gates[vector] = new Gate(handler, kind);
}
