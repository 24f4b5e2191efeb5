using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Checking;

/// <summary>How a sample's operand is given.</summary>
public enum SampleOperandKind : byte { Register, Memory, Immediate, Branch }

/// <summary>How a memory operand's address is formed; the builder solves register values so it lands on <see cref="SampleOperand.Target"/>.</summary>
public enum AddressForm : byte
{
    /// <summary>[base + index*scale + disp] with 64-bit registers (either may be absent, not both).</summary>
    Registers,
    /// <summary>The same with the 0x67 prefix: 32-bit registers, the address truncated to 32 bits.</summary>
    Registers32,
    /// <summary>[rip + disp32].</summary>
    RipRelative,
    /// <summary>[disp32], sign-extended.</summary>
    Absolute,
    /// <summary>A 64-bit absolute <c>moffs</c> (only for the <c>mov</c> accumulator forms).</summary>
    Offset64,
}

/// <summary>One operand of a generated instruction instance.</summary>
public sealed record SampleOperand(SampleOperandKind Kind)
{
    public Register Register { get; init; }
    public AddressForm Form { get; init; }
    /// <summary>GPR index of the base, or -1.</summary>
    public int Base { get; init; } = -1;
    /// <summary>GPR index of the index register, or -1 (never RSP).</summary>
    public int Index { get; init; } = -1;
    public int Scale { get; init; } = 1;
    public long Displacement { get; init; }
    /// <summary>Offset of the accessed address inside the data region (or stack region when the base is RSP).</summary>
    public int Target { get; init; }
    public long Immediate { get; init; }

    public override string ToString() => Kind switch
    {
        SampleOperandKind.Register => Register.ToString().ToLowerInvariant(),
        SampleOperandKind.Immediate => $"imm 0x{Immediate:x}",
        SampleOperandKind.Branch => $"branch {(Immediate >= 0 ? "+" : "")}{Immediate}",
        _ => $"mem {Form} base={Base} index={Index}*{Scale} disp=0x{Displacement:x} target=+0x{Target:x}",
    };
}

/// <summary>
/// A generated instance of one supported instruction: the Iced code, its operands, the initial
/// registers and flags, where in a cache line it sits, and the seed that fills data and stack.
/// It is a description; <see cref="InstructionSampleBuilder"/> encodes it with Iced.
/// </summary>
public sealed record InstructionSample(Code Code, SampleOperand[] Operands, ulong[] Registers, RFlags Flags,
    int LineOffset, ulong MemorySeed, bool Lock, bool CsPrefix)
{
    public override string ToString() =>
        $"{Code} [{string.Join(", ", Operands.Select(o => o.ToString()))}]" +
        (Lock ? " lock" : "") + (CsPrefix ? " cs" : "") +
        $" at +{LineOffset}, flags={Flags}, memory seed={MemorySeed}, regs=[{string.Join(",", Registers.Select(r => $"0x{r:x}"))}]";
}
