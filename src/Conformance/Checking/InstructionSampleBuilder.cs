using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Checking;

/// <summary>An encoded sample: the bytes Iced's encoder produced and the registers after address solving.</summary>
public sealed record BuiltSample(InstructionSample Sample, byte[] Bytes, Instruction Instruction, ulong Ip, ulong[] Registers)
{
    public override string ToString() =>
        $"{Convert.ToHexString(Bytes).ToLowerInvariant()}  {Instruction}  (from {Sample})";
}

/// <summary>
/// Turns a sample into bytes with Iced's <see cref="Encoder"/>, and solves the register values
/// that make each memory operand address the chosen target. The layout is fixed: code in
/// <see cref="TextBase"/>, a data region and a stack region filled from the memory seed.
/// </summary>
public static class InstructionSampleBuilder
{
    public const ulong TextBase = 0x40_0000, StubBase = 0x48_0000, DataBase = 0x60_0000, StackBase = 0x7f_0000;
    public const int TextSize = 0x1000, StubSize = 0x1000, DataSize = 0x2000, StackSize = 0x1_0000;
    /// <summary>RSP before the instruction: the middle of the stack, so pushes and pops both fit.</summary>
    public const ulong StackPointer = StackBase + StackSize / 2;

    /// <summary>Encodes the sample, or returns null with the encoder's reason when Iced refuses the combination.</summary>
    public static BuiltSample? TryBuild(InstructionSample s, out string? error)
    {
        var regs = (ulong[])s.Registers.Clone();
        regs[(int)Gpr.Rsp] = StackPointer;
        ulong ip = TextBase + (ulong)s.LineOffset;
        var ops = new object[s.Operands.Length];
        for (int i = 0; i < ops.Length; i++)
            ops[i] = Operand(s.Operands[i], regs, ip);

        Instruction instruction;
        try
        {
            instruction = Create(s.Code, ops, ip);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
        if (s.Lock) instruction.HasLockPrefix = true;
        if (s.CsPrefix) instruction.SegmentPrefix = Register.CS;

        var writer = new ByteCodeWriter();
        var encoder = Encoder.Create(64, writer);
        if (!encoder.TryEncode(instruction, ip, out _, out error)) return null;
        var bytes = writer.ToArray();

        // Decode the bytes back with Iced: that instruction, not the one we built, is the reference.
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), ip);
        decoder.Decode(out var decoded);
        if (decoded.Code != s.Code) { error = $"encoded {s.Code} decodes as {decoded.Code}"; return null; }
        // RIP-relative and moffs targets depend on the final length; base/index ones were solved above.
        error = null;
        return new BuiltSample(s, bytes, decoded, ip, regs);
    }

    private static object Operand(SampleOperand o, ulong[] regs, ulong ip) => o.Kind switch
    {
        SampleOperandKind.Register => o.Register,
        SampleOperandKind.Immediate => o.Immediate,
        SampleOperandKind.Branch => new BranchTarget((ulong)((long)ip + o.Immediate)),
        _ => Memory(o, regs),
    };

    private readonly record struct BranchTarget(ulong Address);

    private static MemoryOperand Memory(SampleOperand o, ulong[] regs)
    {
        bool onStack = o.Base == (int)Gpr.Rsp;
        ulong target = (onStack ? StackPointer - 0x800 : DataBase) + (ulong)o.Target;
        switch (o.Form)
        {
            case AddressForm.RipRelative:
                return new MemoryOperand(Register.RIP, (long)target);
            case AddressForm.Absolute:
                return new MemoryOperand(Register.None, Register.None, 1, (long)target, 8);
            case AddressForm.Offset64:
                return new MemoryOperand(Register.None, Register.None, 1, (long)target, 8);
        }
        bool narrow = o.Form == AddressForm.Registers32;
        Register Name(int gpr) => gpr < 0 ? Register.None : (narrow ? Register.EAX : Register.RAX) + gpr;
        long disp = o.Displacement;
        if (onStack)
        {
            // RSP is fixed; the index (if any) takes a small value so the address stays in the stack.
            if (o.Index >= 0) regs[o.Index] = (ulong)(o.Target & 0xF);
        }
        else if (o.Base >= 0)
        {
            ulong highHalf = regs[o.Base];
            ulong rest = o.Index >= 0 && o.Index != o.Base ? regs[o.Index] * (ulong)o.Scale : 0;
            if (o.Index == o.Base)
            {
                // base + base*scale + disp = target: round the target up so the division is exact.
                long k = 1 + o.Scale;
                long t = RoundUp((long)target - disp, k);
                regs[o.Base] = (ulong)(t / k);
            }
            else
                regs[o.Base] = target - rest - (ulong)disp;
            // With 0x67 only the low 32 bits take part; keep the random high half to prove it.
            if (narrow) regs[o.Base] = (regs[o.Base] & 0xFFFF_FFFFUL) | (highHalf & ~0xFFFF_FFFFUL);
        }
        else if (o.Index >= 0)
        {
            long t = RoundUp((long)target - disp, o.Scale);
            regs[o.Index] = (ulong)(t / o.Scale);
        }
        int displSize = disp == 0 ? 0 : disp is >= sbyte.MinValue and <= sbyte.MaxValue ? 1 : narrow ? 4 : 8;
        return new MemoryOperand(Name(o.Base), Name(o.Index), o.Index >= 0 ? o.Scale : 1, disp, displSize);
    }

    /// <summary>The least multiple of <paramref name="k"/> at or above <paramref name="t"/> (t may be negative).</summary>
    private static long RoundUp(long t, long k)
    {
        long r = ((t % k) + k) % k;
        return r == 0 ? t : t + (k - r);
    }

    private static Instruction Create(Code code, object[] ops, ulong ip)
    {
        return ops switch
        {
            [] => Instruction.Create(code),
            [BranchTarget t] => Instruction.CreateBranch(code, t.Address),
            [Register a] => Instruction.Create(code, a),
            [MemoryOperand m] => Instruction.Create(code, m),
            [long i] => Instruction.Create(code, (int)i),
            [Register a, Register b] => Instruction.Create(code, a, b),
            [Register a, MemoryOperand m] => Instruction.Create(code, a, m),
            [MemoryOperand m, Register b] => Instruction.Create(code, m, b),
            [Register a, long i] => code.ToOpCode().GetOpKind(1) == OpCodeOperandKind.imm64
                ? Instruction.Create(code, a, (ulong)i) : Instruction.Create(code, a, (int)i),
            [MemoryOperand m, long i] => Instruction.Create(code, m, (int)i),
            _ => throw new ArgumentException($"no Iced constructor for {code} with {ops.Length} operands ({ip:x})"),
        };
    }
}
