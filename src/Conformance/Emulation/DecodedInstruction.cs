using Iced.Intel;

namespace Conformance.Emulation;

/// <summary>How an operand is reached.</summary>
internal enum OperandKind : byte { None, Register, Memory, Immediate }

/// <summary>
/// One operand, resolved once at decode time so that execution never asks Iced again.
/// Registers are GPR indexes (with <see cref="HighByte"/> for AH, CH, DH, BH); memory is
/// base + index * 2^scale + displacement, where a RIP-relative displacement is already absolute.
/// </summary>
internal struct Operand
{
    public const byte NoRegister = 0xFF;
    public OperandKind Kind;
    public byte Reg;
    public bool HighByte;
    public byte Base;
    public byte Index;
    public byte ScaleShift;
    public bool Address32;
    public ulong Displacement;
    public ulong Immediate;
}

/// <summary>
/// A decoded instruction as the step loop executes it: the Iced instruction (for formatting and
/// metadata) plus the pre-resolved operation and operands. Built on a decode-cache miss; reused
/// by every CPU while the bytes it covers are unchanged.
/// </summary>
public sealed class DecodedInstruction
{
    internal Instruction Iced;
    internal Op Op;
    /// <summary>Operand size in bytes (1, 2, 4 or 8).</summary>
    internal byte Size;
    internal Operand A;   // destination / first operand
    internal Operand B;   // source / second operand
    internal ulong Target;
    internal ConditionCode Condition;
    internal IHostRoutine? Host;

    public ulong Address { get; internal set; }
    public int Length { get; internal set; }
    public ulong NextRip => Address + (ulong)Length;

    /// <summary>The Iced instruction, for formatting and metadata.</summary>
    public Instruction Instruction => Iced;

    /// <summary>The name of the host routine bound here (a machine or patcher handler), or null for x86 code.</summary>
    public string? HostName => Host?.Name;

    /// <summary>Whether executing it raises #UD.</summary>
    public bool IsUnsupported => Op == Op.Unsupported;

    public override string ToString() => Host is not null ? $"<host {Host.Name}>" : Iced.ToString();
}
