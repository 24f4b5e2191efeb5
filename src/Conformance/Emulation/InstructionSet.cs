using Iced.Intel;

namespace Conformance.Emulation;

/// <summary>
/// The instruction subset (design brief, section 2), as a map from Iced's <see cref="Code"/> to the
/// emulator's <see cref="Op"/>. A code is supported when its mnemonic is in the subset, it is valid
/// in 64-bit mode, and every operand is a general-purpose register, memory, an immediate or a near
/// branch target of the 64-bit forms. Everything else decodes to <see cref="Op.Unsupported"/> (#UD).
/// 16-bit near branches and 16-bit push/pop, whose behaviour differs between vendors in 64-bit
/// mode, are left out on purpose.
/// </summary>
public static class InstructionSet
{
    private static readonly Op[] OpByCode = BuildTable();

    /// <summary>Every supported Iced code, in enum order: what the Iced cross-check generates from.</summary>
    public static IReadOnlyList<Code> SupportedCodes { get; } =
        Enumerable.Range(0, OpByCode.Length).Where(i => OpByCode[i] != Op.Unsupported).Select(i => (Code)i).ToArray();

    /// <summary>Whether instructions of this code execute (rather than raise #UD).</summary>
    public static bool IsSupported(Code code) => OpByCode[(int)code] != Op.Unsupported;

    internal static Op OpOf(Code code) => OpByCode[(int)code];

    private static Op[] BuildTable()
    {
        var table = new Op[Enum.GetValues<Code>().Length];
        for (int i = 0; i < table.Length; i++)
            table[i] = Classify((Code)i);
        return table;
    }

    private static Op Classify(Code code)
    {
        if (code == Code.INVALID) return Op.Unsupported;
        var info = code.ToOpCode();
        if (!info.IsInstruction || !info.Mode64) return Op.Unsupported;
        switch (code)
        {
            // Exact codes: the mnemonic alone would admit 16/32-bit forms.
            case Code.Retnq: case Code.Retnq_imm16: return Op.Ret;
            case Code.Pushfq: return Op.Pushfq;
            case Code.Popfq: return Op.Popfq;
            case Code.Iretq: return Op.Iretq;
            case Code.Int3: return Op.Int3;
            case Code.Call_rel32_64: return Op.CallRel;
            case Code.Call_rm64: return Op.CallIndirect;
            case Code.Jmp_rel8_64: case Code.Jmp_rel32_64: return Op.JmpRel;
            case Code.Jmp_rm64: return Op.JmpIndirect;
            case Code.Push_r64: case Code.Push_rm64: case Code.Pushq_imm8: case Code.Pushq_imm32: return Op.Push;
            case Code.Pop_r64: case Code.Pop_rm64: return Op.Pop;
        }
        var op = code.Mnemonic() switch
        {
            Mnemonic.Nop => Op.Nop,
            Mnemonic.Pause => Op.Pause,
            Mnemonic.Lfence => Op.Lfence,
            Mnemonic.Mfence => Op.Mfence,
            Mnemonic.Hlt => Op.Hlt,
            Mnemonic.Cli => Op.Cli,
            Mnemonic.Sti => Op.Sti,
            Mnemonic.Cpuid => Op.Cpuid,
            Mnemonic.Mov => Op.Mov,
            Mnemonic.Lea => Op.Lea,
            Mnemonic.Add => Op.Add,
            Mnemonic.Sub => Op.Sub,
            Mnemonic.Cmp => Op.Cmp,
            Mnemonic.And => Op.And,
            Mnemonic.Or => Op.Or,
            Mnemonic.Xor => Op.Xor,
            Mnemonic.Test => Op.Test,
            Mnemonic.Inc => Op.Inc,
            Mnemonic.Dec => Op.Dec,
            Mnemonic.Xadd => Op.Xadd,
            Mnemonic.Cmpxchg => Op.Cmpxchg,
            _ => IsJcc(code) ? Op.Jcc : Op.Unsupported,
        };
        if (op == Op.Unsupported) return op;
        for (int i = 0; i < info.OpCount; i++)
            if (!IsPlainOperand(info.GetOpKind(i), op)) return Op.Unsupported;
        return op;
    }

    private static bool IsJcc(Code code) =>
        code.IsJccShortOrNear() && code.ToOpCode().OpCount == 1 &&
        code.ToOpCode().GetOpKind(0) is OpCodeOperandKind.br64_1 or OpCodeOperandKind.br64_4;

    private static bool IsPlainOperand(OpCodeOperandKind kind, Op op) => kind switch
    {
        OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode or
        OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode or
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode or
        OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode or
        OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or
        OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem or
        OpCodeOperandKind.al or OpCodeOperandKind.ax or OpCodeOperandKind.eax or OpCodeOperandKind.rax or
        OpCodeOperandKind.imm8 or OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or
        OpCodeOperandKind.imm8sex64 or OpCodeOperandKind.imm16 or OpCodeOperandKind.imm32 or
        OpCodeOperandKind.imm32sex64 or OpCodeOperandKind.imm64 or
        OpCodeOperandKind.mem_offs or
        OpCodeOperandKind.br64_1 or OpCodeOperandKind.br64_4 => true,
        OpCodeOperandKind.mem => op == Op.Lea,
        _ => false,
    };
}
