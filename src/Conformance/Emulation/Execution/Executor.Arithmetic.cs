namespace Conformance.Emulation;

/// <summary><c>add sub cmp and or xor test inc dec xadd cmpxchg</c>, with or without <c>lock</c>.</summary>
/// <remarks>
/// A step is atomic with respect to every other CPU, so <c>lock</c> changes nothing here: every
/// read-modify-write already completes before another CPU steps. A fault leaves the state as it
/// was before the instruction (SDM vol. 3, 6.5), so flags and registers are committed only after
/// the memory store that may fault.
/// </remarks>
internal sealed partial class Executor<TTracer>
{
    private bool Binary(DecodedInstruction d)
    {
        int size = d.Size;
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, size, out ulong a) || !Read(d, d.B, size, out ulong b)) return false;
        RFlags f = _s.Flags;   // committed after the store: a faulting store changes no flags
        ulong r;
        switch (d.Op)
        {
            case Op.Add: r = Alu.Add(a, b, size, ref f); break;
            case Op.Sub: r = Alu.Sub(a, b, size, ref f); break;
            case Op.Cmp: Alu.Sub(a, b, size, ref f); _s.Flags = f; return true;
            case Op.Test: Alu.Logic(a & b, size, ref f); _s.Flags = f; return true;
            case Op.And: r = Alu.Logic(a & b, size, ref f); break;
            case Op.Or: r = Alu.Logic(a | b, size, ref f); break;
            default: r = Alu.Logic(a ^ b, size, ref f); break;
        }
        if (!Write(d, d.A, at, size, r)) return false;
        _s.Flags = f;
        return true;
    }

    private bool IncDec(DecodedInstruction d)
    {
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, d.Size, out ulong a)) return false;
        RFlags f = _s.Flags;
        ulong r = Alu.IncDec(a, d.Op == Op.Inc, d.Size, ref f);
        if (!Write(d, d.A, at, d.Size, r)) return false;
        _s.Flags = f;
        return true;
    }

    /// <summary>
    /// <c>xadd dst, src</c>: tmp = dst + src; src = dst; dst = tmp. With two registers the source is
    /// written first (so <c>xadd rax, rax</c> ends with the sum); a memory destination is stored
    /// first, so a faulting store leaves the source register and the flags unchanged.
    /// </summary>
    private bool Xadd(DecodedInstruction d)
    {
        int size = d.Size;
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, size, out ulong dst) || !Read(d, d.B, size, out ulong src)) return false;
        RFlags f = _s.Flags;
        ulong sum = Alu.Add(dst, src, size, ref f);
        if (d.A.Kind == OperandKind.Memory && !Write(d, d.A, at, size, sum)) return false;
        Write(d, d.B, size, dst);
        if (d.A.Kind != OperandKind.Memory) Write(d, d.A, at, size, sum);
        _s.Flags = f;
        return true;
    }

    /// <summary>
    /// <c>cmpxchg dst, src</c>: compare the accumulator with dst (flags as CMP). Equal: dst = src.
    /// Not equal: the accumulator = dst, and a memory dst is written back unchanged (the SDM's
    /// "the destination operand is written back if the comparison fails"). The store comes before
    /// the accumulator and the flags, so a faulting store (to code, say) changes neither.
    /// </summary>
    private bool Cmpxchg(DecodedInstruction d)
    {
        int size = d.Size;
        var acc = new Operand { Kind = OperandKind.Register, Reg = (byte)Gpr.Rax };
        ulong at = Locate(d.A);
        if (!Read(d, d.A, at, size, out ulong dst) || !Read(d, d.B, size, out ulong src)) return false;
        ulong a = GetSized(acc, size);
        RFlags f = _s.Flags;
        Alu.Sub(a, dst, size, ref f);
        bool equal = (f & RFlags.ZF) != 0;
        if (equal || d.A.Kind == OperandKind.Memory)
            if (!Write(d, d.A, at, size, equal ? src : dst)) return false;
        if (!equal) SetSized(acc, size, dst);
        _s.Flags = f;
        return true;
    }
}
