namespace Conformance.Emulation;

/// <summary>Interrupt and exception delivery, <c>iretq</c>, and the stack discipline they share.</summary>
internal sealed partial class Executor<TTracer>
{
    /// <summary>Selectors in the frame: Linux's __KERNEL_CS and __KERNEL_DS.</summary>
    public const ulong KernelCs = 0x10, KernelSs = 0x18;

    /// <summary>
    /// Delivers the highest-priority deliverable event at this boundary, if any: an NMI unless NMIs
    /// are blocked or a shadow holds it off; else a maskable interrupt if IF=1 and no shadow.
    /// </summary>
    private bool TryDeliverPendingEvent()
    {
        var s = _s;
        if (_cpu.NmiPending && !s.NmiBlocked &&
            (s.Shadow == InterruptShadow.None || (s.Shadow == InterruptShadow.Sti && _cpu.Options.NmiMayEndStiShadow)))
        {
            _cpu.NmiPending = false;
            s.NmiBlocked = true;
            Deliver(Vectors.Nmi, s.Rip, s.Rip, "NMI");
            return true;
        }
        if (_cpu.HasPendingInterrupts && s.InterruptsEnabled && s.Shadow == InterruptShadow.None &&
            _cpu.TryTakeInterrupt(out byte vector))
        {
            Deliver(vector, s.Rip, s.Rip, "interrupt");
            return true;
        }
        return false;
    }

    /// <summary>
    /// Real x86-64 delivery in ring 0 (SDM vol. 3, 6.14.2): align RSP down to 16 bytes, push SS,
    /// the old RSP, RFLAGS, CS and the return RIP on the current stack, clear IF for an interrupt
    /// gate, and jump to the handler. Serializing.
    /// </summary>
    private bool Deliver(byte vector, ulong returnRip, ulong faultRip, string what)
    {
        var s = _s;
        if (_cpu.Interrupts[vector] is not Gate gate)
            return Fail(FaultKind.NoHandler, faultRip, faultRip, $"{what} at 0x{faultRip:x}: vector {vector} has no gate in the interrupt table");
        ulong oldRsp = Get((int)Gpr.Rsp);
        ulong frame = (oldRsp & ~0xFUL) - 40;
        if (!CheckStack(faultRip, oldRsp, frame, 40, $"the {what} frame (vector {vector})")) return false;
        ulong flags = (ulong)(s.Flags | RFlags.Reserved1);
        _ = Store(faultRip, frame + 32, KernelSs) && Store(faultRip, frame + 24, oldRsp) &&
            Store(faultRip, frame + 16, flags) && Store(faultRip, frame + 8, KernelCs) &&
            Store(faultRip, frame, returnRip);
        if (s.Run == RunState.Faulted) return false;
        Set((int)Gpr.Rsp, frame);
        if (gate.Kind == GateKind.Interrupt) s.Flags &= ~RFlags.IF;
        s.Flags &= ~RFlags.TF;
        s.Rip = gate.Handler;
        s.Shadow = InterruptShadow.None;
        s.Run = RunState.Running;   // an event wakes a halted CPU
        s.LastSerializingTime = _memory.Now;
        _cpu.LastDeliveredVector = vector;
        return true;
    }

    /// <summary>
    /// <c>iretq</c>: pop RIP, CS, RFLAGS, RSP and SS; unblock NMIs; serialize. CS must be the
    /// kernel's and SS the kernel's or null (legal in 64-bit ring 0), or hardware raises #GP: a
    /// frame overwritten by, say, an emulated push is a fault here rather than a silent return.
    /// </summary>
    private bool InterruptReturn(DecodedInstruction d)
    {
        var s = _s;
        ulong rip = d.Address;
        ulong rsp = Get((int)Gpr.Rsp);
        if (!LoadStack(rip, rsp, out ulong newRip) || !LoadStack(rip, rsp + 8, out ulong cs) ||
            !LoadStack(rip, rsp + 16, out ulong flags) || !LoadStack(rip, rsp + 24, out ulong newRsp) ||
            !LoadStack(rip, rsp + 32, out ulong ss))
            return false;
        if (cs != KernelCs)
            return Fail(FaultKind.BadInterruptFrame, rip, rsp + 8, $"{d} at 0x{rip:x}: the frame at 0x{rsp:x} holds CS 0x{cs:x}, not the kernel's 0x{KernelCs:x} (#GP)");
        if (ss != KernelSs && ss != 0)
            return Fail(FaultKind.BadInterruptFrame, rip, rsp + 32, $"{d} at 0x{rip:x}: the frame at 0x{rsp:x} holds SS 0x{ss:x}, not the kernel's 0x{KernelSs:x} or null (#GP)");
        Set((int)Gpr.Rsp, newRsp);
        s.Flags = ((RFlags)flags & RFlags.Loadable) | RFlags.Reserved1;
        s.Rip = newRip;
        s.NmiBlocked = false;
        s.Shadow = InterruptShadow.None;
        s.LastSerializingTime = _memory.Now;
        return true;
    }

    private bool Int3(DecodedInstruction d) =>
        // A trap: the saved RIP is the byte after the cc.
        Deliver(Vectors.Breakpoint, d.NextRip, d.Address, "#BP (int3)");

    // ---- the stack ---------------------------------------------------------------------------

    /// <summary>Pushes 8 bytes; the new slot must lie in the stack region RSP is in.</summary>
    private bool PushValue(ulong rip, ulong value)
    {
        ulong rsp = Get((int)Gpr.Rsp);
        ulong slot = rsp - 8;
        if (!CheckStack(rip, rsp, slot, 8, "a push")) return false;
        if (!Store(rip, slot, value)) return false;
        Set((int)Gpr.Rsp, slot);
        return true;
    }

    /// <summary>Pops 8 bytes.</summary>
    private bool PopValue(ulong rip, out ulong value)
    {
        ulong rsp = Get((int)Gpr.Rsp);
        if (!LoadStack(rip, rsp, out value)) return false;
        Set((int)Gpr.Rsp, rsp + 8);
        return true;
    }

    private bool CheckStack(ulong rip, ulong rsp, ulong low, int length, string what)
    {
        var region = _memory.Find(low);
        if (region is { Kind: RegionKind.Stack } && region.Contains(low, length)) return true;
        // RSP is one past the stack it uses when that stack is empty, and at its base when it is full.
        var current = _memory.Find(rsp - 1) is { Kind: RegionKind.Stack } above ? above : _memory.Find(rsp);
        string where = current is { Kind: RegionKind.Stack }
            ? $"below the bottom of {current}"
            : $"and RSP 0x{rsp:x} is not inside a stack region";
        return Fail(FaultKind.StackOverflow, rip, low, $"stack overflow: {what} would write 0x{low:x}..0x{low + (ulong)length:x}, {where}");
    }

    private bool LoadStack(ulong rip, ulong address, out ulong value)
    {
        Tracer.MemoryRead(address, 8);
        if (_memory.TryRead(address, 8, out value)) return true;
        return Fail(FaultKind.ReadUnmapped, rip, address, $"stack read of 8 bytes at 0x{address:x}, which no region maps (stack underflow?)");
    }

    private bool Store(ulong rip, ulong address, ulong value)
    {
        Tracer.MemoryWritten(address, 8);
        var fault = _memory.TryWrite(address, value, 8);
        if (fault is null) return true;
        return Fail(fault.Value, rip, address, $"stack store of 8 bytes at 0x{address:x} failed: {fault}");
    }
}
