namespace Conformance.Emulation;

/// <summary>Switches that decide behaviour the manuals leave open.</summary>
public sealed record CpuOptions
{
    /// <summary>
    /// Whether an NMI may be delivered at the boundary right after an <c>sti</c> (ending its shadow).
    /// The SDM says NMIs "may be inhibited" there; Linux's <c>push; sti; jmp</c> stub trick is safe only if they are.
    /// Default: false (NMIs wait for the shadow to end).
    /// </summary>
    public bool NmiMayEndStiShadow { get; init; }

    public static CpuOptions Default { get; } = new();
}

/// <summary>What one <see cref="Cpu.Step()"/> did.</summary>
public enum StepResult : byte
{
    /// <summary>An instruction executed and retired.</summary>
    Retired,
    /// <summary><c>int3</c> executed and its #BP was delivered to the breakpoint gate.</summary>
    Trapped,
    /// <summary>A pending NMI or interrupt was delivered at this instruction boundary.</summary>
    Delivered,
    /// <summary>The CPU is halted and nothing deliverable is pending: no progress.</summary>
    Halted,
    /// <summary>The CPU faulted (now or earlier); <see cref="CpuState.Fault"/> says why.</summary>
    Faulted,
}

/// <summary>
/// One x86-64 CPU in long mode, ring 0, over a shared <see cref="Memory"/> and
/// <see cref="InterruptTable"/>. It holds its architectural state and its pending events; each
/// <see cref="Step()"/> takes one event or executes one instruction.
/// </summary>
public sealed class Cpu
{
    private readonly Executor<NoTracer> _executor;
    private Executor<AccessRecorder>? _recording;
    private readonly ulong[] _pendingVectors = new ulong[4];   // 256-bit bitmap of pending maskable vectors
    private int _pendingCount;

    public Cpu(int id, Memory memory, InterruptTable interrupts, CpuOptions? options = null)
    {
        Id = id;
        Memory = memory;
        Interrupts = interrupts;
        Options = options ?? CpuOptions.Default;
        _executor = new Executor<NoTracer>(this, default);
    }

    public int Id { get; }
    public CpuState State { get; } = new();
    public Memory Memory { get; }
    public InterruptTable Interrupts { get; }
    public CpuOptions Options { get; }

    /// <summary>The instruction the last step fetched (possibly from stale bytes), for traces.</summary>
    public DecodedInstruction? LastInstruction { get; internal set; }

    /// <summary>The vector of the last event delivered (interrupt, NMI, IPI or exception), for traces.</summary>
    public byte LastDeliveredVector { get; internal set; }

    /// <summary>The instruction fetch to use instead of reading current bytes (a machine's fetch model), or null.</summary>
    public IInstructionFetcher? Fetcher { get; set; }

    /// <summary>An NMI waits to be delivered (NMIs do not queue: a second one while one is pending is lost).</summary>
    public bool NmiPending { get; internal set; }

    /// <summary>Whether any maskable interrupt is pending.</summary>
    public bool HasPendingInterrupts => _pendingCount > 0;

    /// <summary>Latches an NMI; it is delivered at an instruction boundary unless NMIs are blocked.</summary>
    public void RaiseNmi() => NmiPending = true;

    /// <summary>Latches a maskable interrupt (timer, IPI); delivered when IF=1 and no shadow is in force.</summary>
    public void RaiseInterrupt(byte vector)
    {
        ref ulong word = ref _pendingVectors[vector >> 6];
        ulong bit = 1UL << (vector & 63);
        if ((word & bit) == 0) { word |= bit; _pendingCount++; }
    }

    /// <summary>Whether <paramref name="vector"/> is latched and not yet delivered.</summary>
    public bool IsPending(byte vector) => (_pendingVectors[vector >> 6] & (1UL << (vector & 63))) != 0;

    /// <summary>Takes the highest pending vector (the local APIC's priority order).</summary>
    internal bool TryTakeInterrupt(out byte vector)
    {
        for (int w = 3; w >= 0; w--)
        {
            ulong word = _pendingVectors[w];
            if (word == 0) continue;
            int bit = 63 - System.Numerics.BitOperations.LeadingZeroCount(word);
            _pendingVectors[w] = word & ~(1UL << bit);
            _pendingCount--;
            vector = (byte)(w * 64 + bit);
            return true;
        }
        vector = 0;
        return false;
    }

    /// <summary>Takes one pending event or executes one instruction.</summary>
    public StepResult Step() => _executor.Step();

    /// <summary>As <see cref="Step()"/>, recording every register and memory access into <paramref name="log"/>.</summary>
    public StepResult Step(AccessLog log)
    {
        _recording ??= new Executor<AccessRecorder>(this, new AccessRecorder(log));
        _recording.Tracer = new AccessRecorder(log);
        return _recording.Step();
    }

    /// <summary>Marks a serializing event now (the machine's <c>sync_core</c> IPI handler uses this).</summary>
    public void Serialize() => State.LastSerializingTime = Memory.Now;
}
