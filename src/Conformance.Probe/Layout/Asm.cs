using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Probe.Layout;

/// <summary>Assembles the probe's machine code with Iced at the address it will run from.</summary>
internal static class Asm
{
    public static byte[] At(ulong rip, Action<Assembler> body)
    {
        var a = new Assembler(64);
        body(a);
        var writer = new ByteCodeWriter();
        a.Assemble(writer, rip);
        return writer.ToArray();
    }

    /// <summary>A RIP-relative memory operand naming the absolute address (Iced computes the displacement).</summary>
    public static MemoryOperand RipRelative(ulong address) => new(Register.RIP, (long)address);

    /// <summary><c>inc qword ptr [counter]</c>, RIP-relative.</summary>
    public static Instruction IncCounter(ulong counter) => Instruction.Create(Code.Inc_rm64, RipRelative(counter));

    /// <summary><c>lea reg, [address]</c>, RIP-relative.</summary>
    public static Instruction Lea(Register register, ulong address) => Instruction.Create(Code.Lea_r64_m, register, RipRelative(address));

    /// <summary><c>cmp byte ptr [reg], 0</c>.</summary>
    public static Instruction FlagClear(Register register) => Instruction.Create(Code.Cmp_rm8_imm8, new MemoryOperand(register), 0);

    /// <summary>One <c>mov</c> of 1, 2 or 4 immediate bytes to <c>[base + offset]</c>, or <c>mov rcx, imm64; mov [base + offset], rcx</c> for 8.</summary>
    public static IEnumerable<Instruction> Store(Register @base, int offset, byte[] bytes)
    {
        var at = new MemoryOperand(@base, offset);
        switch (bytes.Length)
        {
            case 1: yield return Instruction.Create(Code.Mov_rm8_imm8, at, (uint)bytes[0]); break;
            case 2: yield return Instruction.Create(Code.Mov_rm16_imm16, at, (uint)BitConverter.ToUInt16(bytes)); break;
            case 4: yield return Instruction.Create(Code.Mov_rm32_imm32, at, BitConverter.ToUInt32(bytes)); break;
            case 8:
                yield return Instruction.Create(Code.Mov_r64_imm64, Register.RCX, BitConverter.ToUInt64(bytes));
                yield return Instruction.Create(Code.Mov_rm64_r64, at, Register.RCX);
                break;
            default: throw new ArgumentException($"no single x86 store of {bytes.Length} bytes");
        }
    }
}
