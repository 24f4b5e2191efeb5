namespace Conformance.Emulation;

/// <summary><c>add sub cmp and or xor test inc dec xadd cmpxchg</c>, with or without <c>lock</c>.</summary>
/// <remarks>
/// A step is atomic with respect to every other CPU, so <c>lock</c> changes nothing here: every
/// read-modify-write already completes before another CPU steps.
/// </remarks>
internal sealed partial class Executor<TTracer>
{
    private bool Binary(DecodedInstruction d)
    {
        int size = d.Size;
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, size, out ulong a) || !Read(d, d.B, size, out ulong b)) return false;
        ref RFlags f = ref _s.Flags;
        ulong r;
        switch (d.Op)
        {
            case Op.Add: r = Alu.Add(a, b, size, ref f); break;
            case Op.Sub: r = Alu.Sub(a, b, size, ref f); break;
            case Op.Cmp: Alu.Sub(a, b, size, ref f); return true;
            case Op.Test: Alu.Logic(a & b, size, ref f); return true;
            case Op.And: r = Alu.Logic(a & b, size, ref f); break;
            case Op.Or: r = Alu.Logic(a | b, size, ref f); break;
            default: r = Alu.Logic(a ^ b, size, ref f); break;
        }
        return Write(d, d.A, at, size, r);
    }

    private bool IncDec(DecodedInstruction d)
    {
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, d.Size, out ulong a)) return false;
        ulong r = Alu.IncDec(a, d.Op == Op.Inc, d.Size, ref _s.Flags);
        return Write(d, d.A, at, d.Size, r);
    }

    /// <summary><c>xadd dst, src</c>: tmp = dst + src; src = dst; dst = tmp (source written first).</summary>
    private bool Xadd(DecodedInstruction d)
    {
        int size = d.Size;
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, size, out ulong dst) || !Read(d, d.B, size, out ulong src)) return false;
        ulong sum = Alu.Add(dst, src, size, ref _s.Flags);
        Write(d, d.B, size, dst);
        return Write(d, d.A, at, size, sum);
    }

    /// <summary>
    /// <c>cmpxchg dst, src</c>: compare the accumulator with dst (flags as CMP). Equal: dst = src.
    /// Not equal: the accumulator = dst, and a memory dst is written back unchanged (the SDM's
    /// "the destination operand is written back if the comparison fails").
    /// </summary>
    private bool Cmpxchg(DecodedInstruction d)
    {
        int size = d.Size;
        var acc = new Operand { Kind = OperandKind.Register, Reg = (byte)Gpr.Rax };
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, size, out ulong dst) || !Read(d, d.B, size, out ulong src)) return false;
        ulong a = GetSized(acc, size);
        Alu.Sub(a, dst, size, ref _s.Flags);
        if ((_s.Flags & RFlags.ZF) != 0) return Write(d, d.A, at, size, src);
        SetSized(acc, size, dst);
        return d.A.Kind != OperandKind.Memory || Write(d, d.A, at, size, dst);
    }
}
