using Conformance.Emulation;

namespace Conformance.Patching;

/// <summary>A #BP handler's answer.</summary>
public readonly record struct BreakpointResult(bool Handled, string? Reason = null)
{
    /// <summary>The handler claimed the trap; the CPU returns through the (edited) frame.</summary>
    public static BreakpointResult Claimed => new(true);

    /// <summary>Not this patcher's int3: an unclaimed int3 is a finding.</summary>
    public static BreakpointResult Declined(string reason) => new(false, reason);
}

/// <summary>
/// What a #BP handler sees: the trap frame in memory (as <c>pt_regs</c>), the CPU's registers, the
/// patcher's active requests, and the emulation helpers Linux's <c>text-patching.h</c> offers.
/// </summary>
public sealed class BreakpointContext
{
    private readonly Machine.Machine? _tracing;
    private readonly string _handler;

    /// <summary>A context over <paramref name="frame"/>; stores into code are recorded on <paramref name="tracing"/> when given.</summary>
    internal BreakpointContext(Cpu cpu, ulong frame, IReadOnlyList<PatchRequest> active, Machine.Machine? tracing = null, string handler = "#BP handler")
    {
        Cpu = cpu;
        Frame = frame;
        Active = active;
        _tracing = tracing;
        _handler = handler;
    }

    public Cpu Cpu { get; }
    public Memory Memory => Cpu.Memory;

    /// <summary>Address of the 5-word frame: RIP, CS, RFLAGS, RSP, SS.</summary>
    public ulong Frame { get; }

    /// <summary>Checks a handler's store into code against what the patch owns (the rig's guard); throws to refuse it.</summary>
    internal Action<ulong, byte[]>? GuardCodeStore { get; init; }

    /// <summary>The requests of the patch in progress (what <c>text_poke_array</c> holds).</summary>
    public IReadOnlyList<PatchRequest> Active { get; }

    /// <summary>The saved RIP: for an int3, the byte after the <c>cc</c>.</summary>
    public ulong Rip { get => Word(0); set => SetWord(0, value); }
    public RFlags Flags { get => (RFlags)Word(2); set => SetWord(2, (ulong)value); }
    /// <summary>The interrupted RSP.</summary>
    public ulong Rsp { get => Word(3); set => SetWord(3, value); }

    /// <summary>The address of the int3 that trapped.</summary>
    public ulong TrapAddress => Rip - 1;

    /// <summary>The active request whose site starts at the int3, or null.</summary>
    public PatchRequest? Request => Active.FirstOrDefault(r => r.Site.Address == TrapAddress);

    /// <summary>A general-purpose register of the interrupted context (the handler runs in it).</summary>
    public ulong this[Gpr register] { get => Cpu.State[register]; set => Cpu.State[register] = value; }

    /// <summary><c>int3_emulate_push</c>: RSP -= 8 in the frame, and the value stored there, on the interrupted stack.</summary>
    public void Push(ulong value)
    {
        Rsp -= 8;
        Memory.Poke(Rsp, BitConverter.GetBytes(value));
    }

    /// <summary><c>int3_emulate_call</c>: push the return address and continue at the target.</summary>
    public void EmulateCall(ulong returnAddress, ulong target)
    {
        Push(returnAddress);
        Rip = target;
    }

    /// <summary><c>int3_emulate_jmp</c>.</summary>
    public void EmulateJmp(ulong target) => Rip = target;

    /// <summary><c>int3_emulate_ret</c>: pop RIP from the interrupted stack.</summary>
    public void EmulateRet()
    {
        Span<byte> b = stackalloc byte[8];
        Memory.ReadCurrent(Rsp, b);
        Rip = BitConverter.ToUInt64(b);
        Rsp += 8;
    }

    /// <summary>
    /// Emulates <paramref name="instruction"/> as if it ran at <paramref name="site"/>: a call pushes
    /// the site's next address and goes to its target, a jmp goes to its target, a NOP goes to the
    /// next address, a ret pops. Anything else is declined (Linux BUG()s).
    /// </summary>
    public BreakpointResult Emulate(PatchSite site, byte[] instruction)
    {
        switch (Forms.Classify(site.Address, instruction))
        {
            case InstructionClass.Call: EmulateCall(site.Next, Forms.Target(site.Address, instruction)!.Value); break;
            case InstructionClass.Jmp: EmulateJmp(Forms.Target(site.Address, instruction)!.Value); break;
            case InstructionClass.Nop: EmulateJmp(site.Next); break;
            case InstructionClass.Ret: EmulateRet(); break;
            default: return BreakpointResult.Declined($"cannot emulate {Forms.Hex(instruction)} at {site.Name}");
        }
        return BreakpointResult.Claimed;
    }

    /// <summary>Return to the int3 itself, to take it again (spin until the patch completes).</summary>
    public void Retry() => Rip = TrapAddress;

    /// <summary>Store bytes to code from the handler (the cs-prefix scheme rewrites rel32 in place).</summary>
    public void WriteCode(ulong address, params byte[] bytes)
    {
        GuardCodeStore?.Invoke(address, bytes);   // a store outside what the patch owns throws, and the trap is declined
        long time = Memory.Poke(address, bytes);
        _tracing?.RecordHandlerStore(Cpu.Id, _handler, address, bytes, time);
    }

    private ulong Word(int index)
    {
        Span<byte> b = stackalloc byte[8];
        Memory.ReadCurrent(Frame + (ulong)(index * 8), b);
        return BitConverter.ToUInt64(b);
    }

    private void SetWord(int index, ulong value) => Memory.Poke(Frame + (ulong)(index * 8), BitConverter.GetBytes(value));
}
