namespace Conformance.Emulation;

/// <summary><c>call jmp jcc ret</c> (near, 64-bit forms) and host routines.</summary>
internal sealed partial class Executor<TTracer>
{
    private bool Call(DecodedInstruction d, ulong target)
    {
        if (!PushValue(d.Address, d.NextRip)) return false;
        _s.Rip = target;
        return true;
    }

    /// <summary>The target is read before the push, so <c>call [rsp]</c> uses the old top of stack.</summary>
    private bool CallIndirect(DecodedInstruction d) =>
        Read(d, d.A, 8, out ulong target) && Call(d, target);

    private bool Jump(ulong target)
    {
        _s.Rip = target;
        return true;
    }

    private bool JumpIndirect(DecodedInstruction d) =>
        Read(d, d.A, 8, out ulong target) && Jump(target);

    private bool ConditionalJump(DecodedInstruction d)
    {
        Tracer.FlagsRead(Alu.FlagsRead(d.Condition));
        if (Alu.Holds(d.Condition, _s.Flags)) _s.Rip = d.Target;
        return true;
    }

    /// <summary><c>ret</c> and <c>ret imm16</c> (which then releases imm16 bytes of arguments).</summary>
    private bool Ret(DecodedInstruction d)
    {
        if (!PopValue(d.Address, out ulong target)) return false;
        if (d.A.Kind == OperandKind.Immediate) Set((int)Gpr.Rsp, Get((int)Gpr.Rsp) + d.A.Immediate);
        _s.Rip = target;
        return true;
    }

    /// <summary>
    /// Runs C# bound at this address as one step. A routine that throws is a finding about the
    /// routine, reported as a fault that names it; the suite itself does not crash.
    /// </summary>
    private bool RunHost(DecodedInstruction d)
    {
        var routine = d.Host!;
        _s.Rip = d.Address;
        HostOutcome outcome;
        try
        {
            outcome = routine.Run(_cpu);
        }
        catch (Exception e)
        {
            return Fail(FaultKind.HandlerDeclined, d.Address, d.Address, $"host routine '{routine.Name}' at 0x{d.Address:x} threw {e.GetType().Name}: {e.Message}");
        }
        return outcome.Action switch
        {
            HostAction.InterruptReturn => InterruptReturn(d),
            HostAction.Return => PopValue(d.Address, out ulong target) && Jump(target),
            _ => Fail(FaultKind.HandlerDeclined, d.Address, d.Address, $"host routine '{routine.Name}' at 0x{d.Address:x} declined: {outcome.Reason ?? "no reason given"}"),
        };
    }
}
