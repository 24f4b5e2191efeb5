namespace Conformance.Emulation;

/// <summary>
/// The step loop and operand access of one CPU. Generic over a struct tracer so the production
/// instantiation (<see cref="NoTracer"/>) compiles the tracing away; the families of instructions
/// live in the other <c>Executor.*.cs</c> files.
/// </summary>
internal sealed partial class Executor<TTracer> where TTracer : struct, IAccessTracer
{
    private readonly Cpu _cpu;
    private readonly CpuState _s;
    private readonly ulong[] _r;
    private readonly Memory _memory;
    private readonly DecodeCache _cache;
    public TTracer Tracer;

    public Executor(Cpu cpu, TTracer tracer)
    {
        _cpu = cpu;
        _s = cpu.State;
        _r = cpu.State.Gpr;
        _memory = cpu.Memory;
        _cache = cpu.Memory.Decoded;
        Tracer = tracer;
    }

    /// <summary>
    /// One step, in the manual's order: at the instruction boundary take a deliverable event;
    /// otherwise fetch and decode at RIP, end the interrupt shadow, execute, retire.
    /// Allocates nothing unless it decodes new bytes or faults.
    /// </summary>
    public StepResult Step()
    {
        var s = _s;
        if (s.Run == RunState.Faulted) return StepResult.Faulted;
        _memory.Tick();

        if (TryDeliverPendingEvent())
            return s.Run == RunState.Faulted ? StepResult.Faulted : StepResult.Delivered;
        if (s.Run == RunState.Halted) return StepResult.Halted;

        var d = _cpu.Fetcher is { } fetcher ? fetcher.Fetch(_cpu, s.Rip, out var fetchFault) : _cache.Lookup(s.Rip, out fetchFault);
        if (d is null) return FetchFailed(fetchFault);
        _cpu.LastInstruction = d;

        s.Shadow = InterruptShadow.None;   // a shadow covers exactly one boundary
        s.Rip = d.NextRip;                 // branches, traps and host routines overwrite it
        return Execute(d);
    }

    private StepResult Execute(DecodedInstruction d)
    {
        bool ok = d.Op switch
        {
            Op.Nop or Op.Pause or Op.Lfence or Op.Mfence => true,
            Op.Hlt => Halt(),
            Op.Cli => Cli(),
            Op.Sti => Sti(),
            Op.Cpuid => Cpuid(),
            Op.Int3 => Int3(d),
            Op.Iretq => InterruptReturn(d),
            Op.Pushfq => Pushfq(d),
            Op.Popfq => Popfq(d),
            Op.Push => Push(d),
            Op.Pop => Pop(d),
            Op.Mov => Mov(d),
            Op.Lea => Lea(d),
            Op.Add or Op.Sub or Op.Cmp or Op.And or Op.Or or Op.Xor or Op.Test => Binary(d),
            Op.Inc or Op.Dec => IncDec(d),
            Op.Xadd => Xadd(d),
            Op.Cmpxchg => Cmpxchg(d),
            Op.CallRel => Call(d, d.Target),
            Op.CallIndirect => CallIndirect(d),
            Op.JmpRel => Jump(d.Target),
            Op.JmpIndirect => JumpIndirect(d),
            Op.Jcc => ConditionalJump(d),
            Op.Ret => Ret(d),
            Op.HostRoutine => RunHost(d),
            _ => InvalidOpcode(d),
        };
        if (!ok) return StepResult.Faulted;
        if (d.Op == Op.Int3) return StepResult.Trapped;
        return _s.Run == RunState.Halted ? StepResult.Halted : StepResult.Retired;
    }

    // ---- registers -------------------------------------------------------------------------

    private ulong Get(int reg)
    {
        Tracer.RegisterRead((Gpr)reg);
        return _r[reg];
    }

    private void Set(int reg, ulong value)
    {
        Tracer.RegisterWritten((Gpr)reg);
        _r[reg] = value;
    }

    /// <summary>A register operand of <paramref name="size"/> bytes (AH..BH are bits 8-15).</summary>
    private ulong GetSized(in Operand o, int size)
    {
        ulong v = Get(o.Reg);
        return o.HighByte ? (v >> 8) & 0xFF : v & Alu.Mask(size);
    }

    /// <summary>Writes a sized register: 8 and 16 bits merge, 32 bits zero-extend, 64 bits replace.</summary>
    private void SetSized(in Operand o, int size, ulong value)
    {
        ulong old = _r[o.Reg];
        ulong full = size switch
        {
            1 when o.HighByte => (old & ~0xFF00UL) | ((value & 0xFF) << 8),
            1 => (old & ~0xFFUL) | (value & 0xFF),
            2 => (old & ~0xFFFFUL) | (value & 0xFFFF),
            4 => value & 0xFFFF_FFFF,
            _ => value,
        };
        Set(o.Reg, full);
    }

    // ---- operands --------------------------------------------------------------------------

    private ulong EffectiveAddress(in Operand o)
    {
        ulong ea = o.Displacement;
        if (o.Base != Operand.NoRegister) ea += Get(o.Base);
        if (o.Index != Operand.NoRegister) ea += Get(o.Index) << o.ScaleShift;
        return o.Address32 ? (uint)ea : ea;
    }

    private bool Read(DecodedInstruction d, in Operand o, int size, out ulong value) =>
        Read(d, o, Locate(o), size, out value);

    private bool Write(DecodedInstruction d, in Operand o, int size, ulong value) =>
        Write(d, o, Locate(o), size, value);

    /// <summary>
    /// The address of a memory operand, computed once per instruction: a read-modify-write whose
    /// other writes change the base or index (<c>xadd [rdx], dh</c>, <c>cmpxchg [rax], cx</c>)
    /// must still store where it loaded.
    /// </summary>
    private ulong Locate(in Operand o) => o.Kind == OperandKind.Memory ? EffectiveAddress(o) : 0;

    private bool Read(DecodedInstruction d, in Operand o, ulong address, int size, out ulong value)
    {
        switch (o.Kind)
        {
            case OperandKind.Register:
                value = GetSized(o, size);
                return true;
            case OperandKind.Memory:
                return Load(d, address, size, out value);
            default:
                value = o.Immediate & Alu.Mask(size);
                return true;
        }
    }

    private bool Write(DecodedInstruction d, in Operand o, ulong address, int size, ulong value)
    {
        if (o.Kind == OperandKind.Register)
        {
            SetSized(o, size, value);
            return true;
        }
        return Store(d, address, size, value);
    }

    private bool Load(DecodedInstruction d, ulong address, int size, out ulong value)
    {
        Tracer.MemoryRead(address, size);
        if (_memory.TryRead(address, size, out value)) return true;
        return Fail(FaultKind.ReadUnmapped, d.Address, address, $"{d}: load of {size} bytes at 0x{address:x}, which no region maps");
    }

    private bool Store(DecodedInstruction d, ulong address, int size, ulong value)
    {
        Tracer.MemoryWritten(address, size);
        var fault = _memory.TryWrite(address, value, size);
        if (fault is null) return true;
        string why = fault == FaultKind.WriteUnmapped
            ? "which no region maps"
            : $"inside {_memory.Find(address)}, which instructions may not write";
        return Fail(fault.Value, d.Address, address, $"{d}: store of {size} bytes at 0x{address:x}, {why}");
    }

    // ---- faults ----------------------------------------------------------------------------

    private bool Fail(FaultKind kind, ulong rip, ulong address, string message)
    {
        _s.Run = RunState.Faulted;
        _s.Fault = new Fault(kind, rip, address, message);
        _s.Rip = rip;
        return false;
    }

    private StepResult FetchFailed(FaultKind kind)
    {
        ulong rip = _s.Rip;
        var region = _memory.Find(rip);
        string message = kind switch
        {
            FaultKind.FetchUnmapped => $"instruction fetch at 0x{rip:x}, which no region maps",
            FaultKind.FetchNotExecutable => $"instruction fetch at 0x{rip:x} inside {region}, which holds no code",
            _ => $"the instruction at 0x{rip:x} runs past the end of {region}",
        };
        Fail(kind, rip, rip, message);
        return StepResult.Faulted;
    }

    private bool InvalidOpcode(DecodedInstruction d)
    {
        Span<byte> bytes = stackalloc byte[Math.Max(1, d.Length)];
        _memory.ReadCurrent(d.Address, bytes);
        string what = d.Iced.IsInvalid
            ? $"bytes {Convert.ToHexString(bytes).ToLowerInvariant()} do not decode"
            : $"'{d.Iced}' is outside the emulated subset";
        return Fail(FaultKind.InvalidOpcode, d.Address, d.Address, $"#UD at 0x{d.Address:x}: {what}");
    }
}
