using System.Numerics;

namespace Conformance.Emulation;

/// <summary>
/// Arithmetic and its status flags, exactly as the SDM defines them for 8/16/32/64-bit operands.
/// Where the SDM leaves a flag undefined (AF after AND/OR/XOR/TEST) the emulator clears it, as
/// current Intel and AMD parts do; the Iced cross-check confirms such a flag is one Iced lists as
/// undefined.
/// </summary>
internal static class Alu
{
    private const RFlags Status = RFlags.Arithmetic;

    public static ulong Mask(int size) => size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
    private static ulong SignBit(int size) => 1UL << (size * 8 - 1);

    /// <summary>ZF, SF and PF of a result (already masked to <paramref name="size"/>).</summary>
    private static RFlags ResultFlags(ulong r, int size)
    {
        RFlags f = 0;
        if (r == 0) f |= RFlags.ZF;
        if ((r & SignBit(size)) != 0) f |= RFlags.SF;
        if ((BitOperations.PopCount(r & 0xFF) & 1) == 0) f |= RFlags.PF;
        return f;
    }

    public static ulong Add(ulong a, ulong b, int size, ref RFlags flags)
    {
        ulong m = Mask(size);
        a &= m; b &= m;
        ulong r = (a + b) & m;
        RFlags f = ResultFlags(r, size);
        if (r < a) f |= RFlags.CF;
        if (((a ^ r) & (b ^ r) & SignBit(size)) != 0) f |= RFlags.OF;
        if (((a ^ b ^ r) & 0x10) != 0) f |= RFlags.AF;
        flags = (flags & ~Status) | f;
        return r;
    }

    public static ulong Sub(ulong a, ulong b, int size, ref RFlags flags)
    {
        ulong m = Mask(size);
        a &= m; b &= m;
        ulong r = (a - b) & m;
        RFlags f = ResultFlags(r, size);
        if (a < b) f |= RFlags.CF;
        if (((a ^ b) & (a ^ r) & SignBit(size)) != 0) f |= RFlags.OF;
        if (((a ^ b ^ r) & 0x10) != 0) f |= RFlags.AF;
        flags = (flags & ~Status) | f;
        return r;
    }

    /// <summary>AND, OR, XOR and TEST: CF = OF = 0; AF (undefined) cleared.</summary>
    public static ulong Logic(ulong r, int size, ref RFlags flags)
    {
        r &= Mask(size);
        flags = (flags & ~Status) | ResultFlags(r, size);
        return r;
    }

    /// <summary>INC and DEC: as ADD/SUB of one, but CF keeps its value.</summary>
    public static ulong IncDec(ulong a, bool increment, int size, ref RFlags flags)
    {
        RFlags carry = flags & RFlags.CF;
        ulong r = increment ? Add(a, 1, size, ref flags) : Sub(a, 1, size, ref flags);
        flags = (flags & ~RFlags.CF) | carry;
        return r;
    }

    /// <summary>Whether a Jcc condition holds (SDM vol. 2, Jcc table).</summary>
    public static bool Holds(Iced.Intel.ConditionCode cc, RFlags f)
    {
        bool cf = (f & RFlags.CF) != 0, zf = (f & RFlags.ZF) != 0, sf = (f & RFlags.SF) != 0;
        bool of = (f & RFlags.OF) != 0, pf = (f & RFlags.PF) != 0;
        return cc switch
        {
            Iced.Intel.ConditionCode.o => of,
            Iced.Intel.ConditionCode.no => !of,
            Iced.Intel.ConditionCode.b => cf,
            Iced.Intel.ConditionCode.ae => !cf,
            Iced.Intel.ConditionCode.e => zf,
            Iced.Intel.ConditionCode.ne => !zf,
            Iced.Intel.ConditionCode.be => cf || zf,
            Iced.Intel.ConditionCode.a => !cf && !zf,
            Iced.Intel.ConditionCode.s => sf,
            Iced.Intel.ConditionCode.ns => !sf,
            Iced.Intel.ConditionCode.p => pf,
            Iced.Intel.ConditionCode.np => !pf,
            Iced.Intel.ConditionCode.l => sf != of,
            Iced.Intel.ConditionCode.ge => sf == of,
            Iced.Intel.ConditionCode.le => zf || sf != of,
            Iced.Intel.ConditionCode.g => !zf && sf == of,
            _ => throw new ArgumentOutOfRangeException(nameof(cc), cc, "not a Jcc condition"),
        };
    }

    /// <summary>The flags a Jcc condition reads.</summary>
    public static RFlags FlagsRead(Iced.Intel.ConditionCode cc) => cc switch
    {
        Iced.Intel.ConditionCode.o or Iced.Intel.ConditionCode.no => RFlags.OF,
        Iced.Intel.ConditionCode.b or Iced.Intel.ConditionCode.ae => RFlags.CF,
        Iced.Intel.ConditionCode.e or Iced.Intel.ConditionCode.ne => RFlags.ZF,
        Iced.Intel.ConditionCode.be or Iced.Intel.ConditionCode.a => RFlags.CF | RFlags.ZF,
        Iced.Intel.ConditionCode.s or Iced.Intel.ConditionCode.ns => RFlags.SF,
        Iced.Intel.ConditionCode.p or Iced.Intel.ConditionCode.np => RFlags.PF,
        Iced.Intel.ConditionCode.l or Iced.Intel.ConditionCode.ge => RFlags.SF | RFlags.OF,
        _ => RFlags.ZF | RFlags.SF | RFlags.OF,
    };
}
