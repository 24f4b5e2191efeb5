namespace Conformance.Emulation;

/// <summary><c>mov</c>, <c>lea</c>, <c>push</c>, <c>pop</c>, <c>pushfq</c>, <c>popfq</c>.</summary>
internal sealed partial class Executor<TTracer>
{
    private bool Mov(DecodedInstruction d) =>
        Read(d, d.B, d.Size, out ulong v) && Write(d, d.A, d.Size, v);

    private bool Lea(DecodedInstruction d)
    {
        SetSized(d.A, d.Size, EffectiveAddress(d.B));
        return true;
    }

    /// <summary>The value is read first, so <c>push rsp</c> pushes the old RSP and <c>push [rsp]</c> reads the old top.</summary>
    private bool Push(DecodedInstruction d) =>
        Read(d, d.A, 8, out ulong v) && PushValue(d.Address, v);

    /// <summary>
    /// RSP is incremented before the destination is written: <c>pop [rsp+8]</c> addresses with the
    /// new RSP, and <c>pop rsp</c> ends with the popped value. A faulting store puts RSP back, as a
    /// fault leaves the state before the instruction (SDM vol. 3, 6.5).
    /// </summary>
    private bool Pop(DecodedInstruction d)
    {
        ulong rsp = _r[(int)Gpr.Rsp];
        if (!PopValue(d.Address, out ulong v)) return false;
        if (Write(d, d.A, 8, v)) return true;
        _r[(int)Gpr.Rsp] = rsp;
        return false;
    }

    private bool Pushfq(DecodedInstruction d) =>
        PushValue(d.Address, (ulong)((_s.Flags & RFlags.Loadable) | RFlags.Reserved1));

    /// <summary>In ring 0 <c>popfq</c> may change IF; no shadow follows it.</summary>
    private bool Popfq(DecodedInstruction d)
    {
        Tracer.FlagsRead(0);
        if (!PopValue(d.Address, out ulong v)) return false;
        _s.Flags = ((RFlags)v & RFlags.Loadable) | RFlags.Reserved1;
        return true;
    }
}
