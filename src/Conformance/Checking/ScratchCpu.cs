using Conformance.Emulation;

namespace Conformance.Checking;

/// <summary>
/// A CPU over a small memory of its own for running one instruction alone (P2's oracle,
/// <see cref="EquivalentEffect"/>): a text region of two pages around the site and a stack region
/// around RSP. Building one per visit dominated the cost of a checked case, so each thread keeps
/// the few it needs, keyed by their layout, and each run puts every byte and register it may read
/// back to what a fresh one would hold: the outcome is the same as on a fresh CPU.
/// </summary>
internal sealed class ScratchCpu
{
    private const int MaxKept = 256;
    [ThreadStatic] private static Dictionary<(ulong Page, ulong StackBase, int StackSize), ScratchCpu>? _kept;

    private static readonly byte[] Zeros = new byte[DecodeCache.MaxInstructionLength];
    private readonly Memory _memory = new();
    private readonly MemoryRegion _stack;
    private readonly Cpu _cpu;
    private ulong _loaded;        // where the last instruction was loaded, to zero it again
    private int _loadedLength;

    private ScratchCpu(ulong page, ulong stackBase, int stackSize)
    {
        _memory.Map("site", RegionKind.Text, page, 0x2000);
        _stack = _memory.Map("stack", RegionKind.Stack, stackBase, stackSize);
        _cpu = new Cpu(0, _memory, new InterruptTable());
    }

    /// <summary>This thread's scratch CPU for text at <paramref name="page"/> (two pages) and the given stack range.</summary>
    public static ScratchCpu For(ulong page, ulong stackBase, int stackSize)
    {
        var kept = _kept ??= new();
        if (kept.TryGetValue((page, stackBase, stackSize), out var scratch)) return scratch;
        if (kept.Count >= MaxKept) kept.Clear();
        return kept[(page, stackBase, stackSize)] = new ScratchCpu(page, stackBase, stackSize);
    }

    /// <summary>
    /// Loads <paramref name="instruction"/> at <paramref name="address"/> (the rest of text zero),
    /// the stack zero but <paramref name="stackAbove"/> at <paramref name="rsp"/>, the registers and
    /// flags, and takes one step. Returns the CPU, to read the outcome from.
    /// </summary>
    public Cpu Step(ulong address, byte[] instruction, ulong rsp, byte[] stackAbove, ulong[] registers, RFlags flags, out StepResult result)
    {
        if (_loadedLength > 0) _memory.Load(_loaded, Zeros.AsSpan(0, _loadedLength));
        _memory.Load(address, instruction);
        (_loaded, _loadedLength) = (address, instruction.Length);
        Array.Clear(_stack.Bytes);
        _memory.Load(rsp, stackAbove);
        var s = _cpu.State;
        Array.Copy(registers, s.Gpr, 16);
        s.Flags = flags;
        s.Rip = address;
        s.Shadow = InterruptShadow.None;
        s.NmiBlocked = false;
        s.LastSerializingTime = 0;
        s.Run = RunState.Running;
        s.Fault = null;
        result = _cpu.Step();
        return _cpu;
    }

    /// <summary>Reads the current bytes of the scratch memory.</summary>
    public void Read(ulong address, Span<byte> into) => _memory.ReadCurrent(address, into);
}
