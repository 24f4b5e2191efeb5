namespace Conformance.Emulation;

/// <summary>
/// Observes every register and memory access an instruction makes. The step loop is generic over
/// a struct tracer, so the JIT removes the calls entirely for <see cref="NoTracer"/>: tracing costs
/// nothing unless asked for.
/// </summary>
public interface IAccessTracer
{
    void RegisterRead(Gpr register);
    void RegisterWritten(Gpr register);
    void FlagsRead(RFlags flags);
    void MemoryRead(ulong address, int width);
    void MemoryWritten(ulong address, int width);
}

/// <summary>The tracer that records nothing: the production step loop.</summary>
public struct NoTracer : IAccessTracer
{
    public readonly void RegisterRead(Gpr register) { }
    public readonly void RegisterWritten(Gpr register) { }
    public readonly void FlagsRead(RFlags flags) { }
    public readonly void MemoryRead(ulong address, int width) { }
    public readonly void MemoryWritten(ulong address, int width) { }
}

/// <summary>Every access of one or more steps, for the Iced cross-check and for debugging.</summary>
public sealed class AccessLog
{
    public HashSet<Gpr> RegistersRead { get; } = new();
    public HashSet<Gpr> RegistersWritten { get; } = new();
    public RFlags FlagsRead { get; set; }
    public List<(ulong Address, int Width)> MemoryReads { get; } = new();
    public List<(ulong Address, int Width)> MemoryWrites { get; } = new();

    public void Clear()
    {
        RegistersRead.Clear(); RegistersWritten.Clear(); FlagsRead = 0; MemoryReads.Clear(); MemoryWrites.Clear();
    }
}

/// <summary>A tracer that fills an <see cref="AccessLog"/>.</summary>
public readonly struct AccessRecorder(AccessLog log) : IAccessTracer
{
    public void RegisterRead(Gpr register) => log.RegistersRead.Add(register);
    public void RegisterWritten(Gpr register) => log.RegistersWritten.Add(register);
    public void FlagsRead(RFlags flags) => log.FlagsRead |= flags;
    public void MemoryRead(ulong address, int width) => log.MemoryReads.Add((address, width));
    public void MemoryWritten(ulong address, int width) => log.MemoryWrites.Add((address, width));
}
