using Conformance.Checking;
using Conformance.Emulation;
using FsCheck;
using FsCheck.Fluent;
using Iced.Intel;

namespace Conformance.Generators;

/// <summary>
/// Generates instances of every supported instruction with random operands (registers, memory
/// in every addressing form, immediates, branch targets), random registers biased toward edge
/// values, random flags and line offsets; and shrinks them toward zeros, no prefixes and offset 0.
/// Every generated sample encodes: a combination Iced refuses is mapped to a valid one (high-byte
/// registers become low-byte ones), never filtered.
/// </summary>
public static class InstructionSampleGen
{
    private static readonly Code[] Codes = InstructionSet.SupportedCodes.ToArray();

    private static readonly ulong[] EdgeValues =
    {
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 1, 0xF, 0x10,
    };

    /// <summary>Samples of any supported code.</summary>
    public static Arbitrary<InstructionSample> Any => Arb.From(Generator(Gen.Elements(Codes)), Shrink);

    /// <summary>Samples of one code (for per-family runs).</summary>
    public static Arbitrary<InstructionSample> Of(Code code) => Arb.From(Generator(Gen.Constant(code)), Shrink);

    private static Gen<InstructionSample> Generator(Gen<Code> codes) =>
        from code in codes
        from operands in Operands(code)
        from regs in Value.ArrayOf(16)
        from flagBits in Gen.Choose(0, 0xFFF)
        from offset in Gen.Choose(0, 63)
        from seed in ArbMap.Default.GeneratorFor<ulong>()
        from lockDice in Gen.Choose(0, 9)
        from csDice in Gen.Choose(0, 9)
        select Normalize(new InstructionSample(code, operands, regs,
            (RFlags)(ulong)flagBits & (RFlags.Arithmetic | RFlags.IF), offset, seed,
            Lock: lockDice < 3 && Lockable(code, operands), CsPrefix: csDice < 2 && IsBranch(code)));

    private static Gen<ulong> Value =>
        Gen.Frequency(
            (4, from hi in Gen.Choose(int.MinValue, int.MaxValue) from lo in Gen.Choose(int.MinValue, int.MaxValue)
                select ((ulong)(uint)hi << 32) | (uint)lo),
            (2, Gen.Choose(0, 300).Select(v => (ulong)v)),
            (3, Gen.Elements(EdgeValues)));

    private static Gen<SampleOperand[]> Operands(Code code)
    {
        var info = code.ToOpCode();
        var gens = Enumerable.Range(0, info.OpCount).Select(k => OperandGen(info.GetOpKind(k))).ToArray();
        return gens.Length switch
        {
            0 => Gen.Constant(Array.Empty<SampleOperand>()),
            1 => gens[0].Select(a => new[] { a }),
            _ => from a in gens[0] from b in gens[1] select new[] { a, b },
        };
    }

    private static Gen<SampleOperand> OperandGen(OpCodeOperandKind kind) => kind switch
    {
        OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode => Reg(Register.AL, 20),
        OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode => Reg(Register.AX, 16),
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode => Reg(Register.EAX, 16),
        OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode => Reg(Register.RAX, 16),
        OpCodeOperandKind.r8_or_mem => Gen.OneOf(Reg(Register.AL, 20), Mem),
        OpCodeOperandKind.r16_or_mem => Gen.OneOf(Reg(Register.AX, 16), Mem),
        OpCodeOperandKind.r32_or_mem => Gen.OneOf(Reg(Register.EAX, 16), Mem),
        OpCodeOperandKind.r64_or_mem => Gen.OneOf(Reg(Register.RAX, 16), Mem),
        OpCodeOperandKind.mem => Mem,
        OpCodeOperandKind.mem_offs => Gen.Choose(0, InstructionSampleBuilder.DataSize - 16)
            .Select(t => new SampleOperand(SampleOperandKind.Memory) { Form = AddressForm.Offset64, Target = t }),
        OpCodeOperandKind.al => Gen.Constant(Fixed(Register.AL)),
        OpCodeOperandKind.ax => Gen.Constant(Fixed(Register.AX)),
        OpCodeOperandKind.eax => Gen.Constant(Fixed(Register.EAX)),
        OpCodeOperandKind.rax => Gen.Constant(Fixed(Register.RAX)),
        OpCodeOperandKind.imm8 => Imm(0, 255),
        OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm8sex64 => Imm(-128, 127),
        OpCodeOperandKind.imm16 => Imm(0, 0xFFFF),
        OpCodeOperandKind.imm32 or OpCodeOperandKind.imm32sex64 => Gen.Frequency(
            (3, Imm(int.MinValue, int.MaxValue)), (1, Imm(-300, 300))),
        OpCodeOperandKind.imm64 => Value.Select(v => new SampleOperand(SampleOperandKind.Immediate) { Immediate = (long)v }),
        OpCodeOperandKind.br64_1 => Gen.Choose(-100, 100).Select(d => Branch(d)),
        OpCodeOperandKind.br64_4 => Gen.Frequency((1, Gen.Choose(-100, 100)), (2, Gen.Choose(-0x4000_0000, 0x4000_0000))).Select(d => Branch(d)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "operand kind outside the emulated subset"),
    };

    private static SampleOperand Fixed(Register r) => new(SampleOperandKind.Register) { Register = r };
    private static SampleOperand Branch(int d) => new(SampleOperandKind.Branch) { Immediate = d };

    private static Gen<SampleOperand> Reg(Register first, int count) =>
        Gen.Choose(0, count - 1).Select(k => new SampleOperand(SampleOperandKind.Register) { Register = first + k });

    private static Gen<SampleOperand> Imm(int min, int max) =>
        Gen.Choose(min, max).Select(v => new SampleOperand(SampleOperandKind.Immediate) { Immediate = v });

    private static Gen<SampleOperand> Mem =>
        from form in Gen.Frequency((6, Gen.Constant(AddressForm.Registers)), (1, Gen.Constant(AddressForm.Registers32)),
                                   (2, Gen.Constant(AddressForm.RipRelative)), (1, Gen.Constant(AddressForm.Absolute)))
        from @base in Gen.Choose(-1, 15)
        from index in Gen.Choose(-1, 14).Select(i => i >= 4 ? i + 1 : i)   // RSP cannot be an index
        from scaleLog in Gen.Choose(0, 3)
        from dispKind in Gen.Choose(0, 2)
        from disp in Gen.Choose(-0x7F0, 0x7F0)
        from bigDisp in Gen.Choose(int.MinValue / 2, int.MaxValue / 2)
        from target in Gen.Choose(0, 0xFF0)
        select MemoryOperand(form, @base, index, 1 << scaleLog,
            dispKind == 0 ? 0 : dispKind == 1 || @base == (int)Gpr.Rsp ? disp : bigDisp, target);

    private static SampleOperand MemoryOperand(AddressForm form, int @base, int index, int scale, long disp, int target)
    {
        if (form is AddressForm.Registers or AddressForm.Registers32 && @base < 0 && index < 0) form = AddressForm.Absolute;
        if (form is AddressForm.RipRelative or AddressForm.Absolute) { @base = -1; index = -1; disp = 0; }
        return new SampleOperand(SampleOperandKind.Memory)
        {
            Form = form, Base = @base, Index = index, Scale = index < 0 ? 1 : scale, Displacement = disp, Target = target,
        };
    }

    private static bool Lockable(Code code, SampleOperand[] ops) =>
        ops.Length > 0 && ops[0].Kind == SampleOperandKind.Memory &&
        code.Mnemonic() is Mnemonic.Add or Mnemonic.Sub or Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or
            Mnemonic.Inc or Mnemonic.Dec or Mnemonic.Xadd or Mnemonic.Cmpxchg;

    private static bool IsBranch(Code code) => code.ToOpCode().GetOpKind(0) is OpCodeOperandKind.br64_1 or OpCodeOperandKind.br64_4
        || code is Code.Call_rm64 or Code.Jmp_rm64;

    /// <summary>Maps a combination Iced cannot encode onto one it can: AH..BH next to a REX prefix become AL..BL.</summary>
    internal static InstructionSample Normalize(InstructionSample s)
    {
        if (InstructionSampleBuilder.TryBuild(s, out _) is not null) return s;
        var low = s with
        {
            Operands = s.Operands.Select(o => o.Kind == SampleOperandKind.Register && o.Register is >= Register.AH and <= Register.BH
                ? o with { Register = o.Register - 4 } : o).ToArray(),
        };
        if (InstructionSampleBuilder.TryBuild(low, out var error) is not null) return low;
        throw new InvalidOperationException($"generated sample does not encode: {s} ({error})");
    }

    /// <summary>Candidates from most to least aggressive; none equals its input, and every one encodes.</summary>
    public static IEnumerable<InstructionSample> Shrink(InstructionSample s)
    {
        foreach (var c in Candidates(s))
            if (InstructionSampleBuilder.TryBuild(c, out _) is not null)
                yield return c;
    }

    private static IEnumerable<InstructionSample> Candidates(InstructionSample s)
    {
        if (s.Registers.Any(r => r != 0)) yield return s with { Registers = new ulong[16] };
        if (s.MemorySeed != 0) yield return s with { MemorySeed = 0 };
        if (s.Lock) yield return s with { Lock = false };
        if (s.CsPrefix) yield return s with { CsPrefix = false };
        if (s.LineOffset != 0) yield return s with { LineOffset = 0 };
        if (s.Flags != 0) yield return s with { Flags = 0 };
        for (int k = 0; k < s.Operands.Length; k++)
        {
            var o = s.Operands[k];
            if (o.Kind is SampleOperandKind.Immediate or SampleOperandKind.Branch && o.Immediate != 0)
                yield return With(s, k, o with { Immediate = o.Immediate / 2 });
            if (o.Kind == SampleOperandKind.Memory)
            {
                if (o.Displacement != 0) yield return With(s, k, o with { Displacement = 0 });
                if (o.Target != 0) yield return With(s, k, o with { Target = 0 });
                if (o.Index >= 0 && o.Base >= 0) yield return With(s, k, o with { Index = -1, Scale = 1 });
            }
        }
        for (int r = 0; r < 16; r++)
            if (s.Registers[r] != 0)
            {
                var regs = (ulong[])s.Registers.Clone();
                regs[r] = 0;
                yield return s with { Registers = regs };
            }
        foreach (var f in new[] { RFlags.CF, RFlags.PF, RFlags.AF, RFlags.ZF, RFlags.SF, RFlags.OF, RFlags.IF })
            if ((s.Flags & f) != 0) yield return s with { Flags = s.Flags & ~f };
    }

    private static InstructionSample With(InstructionSample s, int k, SampleOperand o)
    {
        var ops = (SampleOperand[])s.Operands.Clone();
        ops[k] = o;
        return s with { Operands = ops };
    }
}
