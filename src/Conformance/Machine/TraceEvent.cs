using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>
/// One typed event of a traced run (<see cref="MachineOptions.RecordTrace"/>): what happened, on
/// which CPU, at which global step and at which memory clock time (the clock fetch moments and
/// store times are measured in). The textual trace (<see cref="Machine.Trace"/>) is derived from
/// these events, one line per event that has a <see cref="Line"/>; timelines render them.
/// </summary>
public abstract record TraceEvent(long Step, int Cpu, long Time)
{
    /// <summary>The event's text in <see cref="Machine.Trace"/> (after the step and the CPU), or null when the text trace leaves it out.</summary>
    public abstract string? Line { get; }

    /// <summary>Whether the patching CPU's writer did it (a store, a sync, a wait), rather than the CPU's own code.</summary>
    public virtual bool ByWriter => false;
}

/// <summary>An x86 instruction (or a host routine standing for one: a handler) executed and retired, as it was decoded (possibly from stale bytes).</summary>
public sealed record InstructionRetired(long Step, int Cpu, long Time, ulong Rip, DecodedInstruction? Instruction) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => $"0x{Rip:x} {Instruction}";
}

/// <summary>An <c>int3</c> executed: #BP is delivered to the breakpoint gate.</summary>
public sealed record BreakpointTrapped(long Step, int Cpu, long Time, ulong Rip, DecodedInstruction? Instruction) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => $"0x{Rip:x} {Instruction}";
}

/// <summary>A pending interrupt, NMI or IPI was delivered at <see cref="Rip"/>: the CPU now runs the handler at <see cref="Handler"/>.</summary>
public sealed record EventDelivered(long Step, int Cpu, long Time, ulong Rip, ulong Handler, byte Vector, string What) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => $"event delivered at 0x{Rip:x} -> 0x{Handler:x}";
}

/// <summary>The CPU is halted with nothing deliverable.</summary>
public sealed record CpuHalted(long Step, int Cpu, long Time) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => "halted";
}

/// <summary>The CPU has faulted (now or at an earlier step; a faulted CPU stays faulted).</summary>
public sealed record CpuFaulted(long Step, int Cpu, long Time, string Fault) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => $"fault {Fault}";
}

/// <summary>A scheduled interrupt was raised on the CPU (it is delivered later, when deliverable).</summary>
public sealed record InterruptRaised(long Step, int Cpu, long Time, InterruptKind Kind) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => $"raise {Kind}";
}

/// <summary>
/// A fetch of watched code (a patch site) with the bytes each fetch unit read and the moment it
/// read them. The text trace shows only stale fetches: a current one adds nothing to the
/// instruction line that follows.
/// </summary>
public sealed record SiteFetched(long Step, int Cpu, long Time, FetchRecord Fetch) : TraceEvent(Step, Cpu, Time)
{
    public override string? Line => Fetch.IsStale ? $"stale {Fetch}" : null;
}

/// <summary>A store into code by a writer or a handler: where, which bytes, and when each byte landed.</summary>
public interface ICodeStore
{
    ulong Address { get; }
    byte[] Bytes { get; }
    long Step { get; }
    /// <summary>When byte <paramref name="index"/> landed: one moment for a one-event store, else consecutive ticks ending at the store's time.</summary>
    long TimeOf(int index);
}

/// <summary>A writer stored bytes (the width is their length); <see cref="TraceEvent.Time"/> is when the (last byte of the) store landed.</summary>
public sealed record WriterStored(long Step, int Cpu, long Time, string Writer, ulong Address, byte[] Bytes) : TraceEvent(Step, Cpu, Time), ICodeStore
{
    public int WidthBits => Bytes.Length * 8;
    public long TimeOf(int index) => Memory.IsOneEvent(Address, Bytes.Length) ? Time : Time - (Bytes.Length - 1 - index);
    public override bool ByWriter => true;
    public override string Line => $"writer: {new WriterStep.Store(Address, Bytes)} (t={Time})";
}

/// <summary>A writer's <c>sync_core</c>: it serialized itself and sent the IPI to <see cref="Targets"/>.</summary>
public sealed record SyncIpiSent(long Step, int Cpu, long Time, string Writer, IReadOnlyList<int> Targets) : TraceEvent(Step, Cpu, Time)
{
    public override bool ByWriter => true;
    public override string Line => "writer: sync_core: IPI sent to every other CPU";
}

/// <summary>The <c>sync_core</c> IPI handler ran on the CPU: it serialized and acknowledged.</summary>
public sealed record SyncIpiAcknowledged(long Step, int Cpu, long Time) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => "sync_core: serialized, acknowledged";
}

/// <summary>Every CPU acknowledged a writer's <c>sync_core</c>: the writer goes on.</summary>
public sealed record SyncCompleted(long Step, int Cpu, long Time, string Writer) : TraceEvent(Step, Cpu, Time)
{
    public override bool ByWriter => true;
    public override string Line => "writer: sync_core complete (every CPU acknowledged)";
}

/// <summary>A writer spent the step waiting (for acknowledgements, a lock, a condition). Not in the text trace.</summary>
public sealed record WriterWaits(long Step, int Cpu, long Time, string Writer, string For) : TraceEvent(Step, Cpu, Time)
{
    public override bool ByWriter => true;
    public override string? Line => null;
}

/// <summary>Any other writer step: a lock taken or released, a pause, a wait started or ended.</summary>
public sealed record WriterAction(long Step, int Cpu, long Time, string Writer, string What) : TraceEvent(Step, Cpu, Time)
{
    public override bool ByWriter => true;
    public override string Line => $"writer: {What}";
}

/// <summary>A writer was stopped: it threw, or asked for something impossible.</summary>
public sealed record WriterFailed(long Step, int Cpu, long Time, string Writer, string Reason) : TraceEvent(Step, Cpu, Time)
{
    public override bool ByWriter => true;
    public override string Line => $"writer failed: {Reason}";
}

/// <summary>The preempting timer's handler switched the CPU from one task to the next.</summary>
public sealed record TaskSwitched(long Step, int Cpu, long Time, int FromTask, string FromName, int ToTask, string ToName) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => $"preempt: switch from task {FromTask} '{FromName}' to task {ToTask} '{ToName}'";
}

/// <summary>
/// On a CPU shared by tasks and a patching thread (Machine.SharedCpu.cs): the thread made ready,
/// switched in or out, or a preemption deferred to its next preemption point.
/// </summary>
public sealed record PatchingThreadSwitched(long Step, int Cpu, long Time, string What) : TraceEvent(Step, Cpu, Time)
{
    public override string Line => What;
}

/// <summary>
/// What a host handler did (a patcher's #BP handler: where it resumes, what it pushed, which registers
/// it set, or why it declined). Not in the text trace, whose handler line predates it; timelines show it.
/// </summary>
public sealed record HandlerAction(long Step, int Cpu, long Time, string Handler, string Action) : TraceEvent(Step, Cpu, Time)
{
    public override string? Line => null;
}

/// <summary>A host handler stored into code (the cs-prefix handler rewrites a rel32 in place). Not in the text trace, as <see cref="HandlerAction"/>.</summary>
public sealed record HandlerStored(long Step, int Cpu, long Time, string Handler, ulong Address, byte[] Bytes) : TraceEvent(Step, Cpu, Time), ICodeStore
{
    public int WidthBits => Bytes.Length * 8;
    public long TimeOf(int index) => Memory.IsOneEvent(Address, Bytes.Length) ? Time : Time - (Bytes.Length - 1 - index);
    public override string? Line => null;
}
