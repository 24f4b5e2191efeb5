using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Patching;

/// <summary>What a patcher's steps may use: the memory (to read), its stub area, and small step builders.</summary>
public sealed class PatchContext
{
    private readonly StubArea _stubs;

    internal PatchContext(Memory memory, StubArea stubs, int cpu)
    {
        Memory = memory;
        _stubs = stubs;
        Cpu = cpu;
    }

    public Memory Memory { get; }

    /// <summary>The patching CPU.</summary>
    public int Cpu { get; }

    /// <summary>The stub area: allocate and reuse executable stubs (write them with <see cref="Store"/>).</summary>
    public StubArea Stubs => _stubs;

    /// <summary>The current bytes at <paramref name="address"/> (what a <c>memcmp</c> would read).</summary>
    public byte[] Read(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.ReadCurrent(address, bytes);
        return bytes;
    }

    public static WriterStep Store(ulong address, params byte[] bytes) => new WriterStep.Store(address, bytes);
    public static WriterStep Sync() => new WriterStep.SyncCore();

    /// <summary>An interlocked compare-and-exchange (<c>lock cmpxchg</c>) of 1, 2, 4 or 8 bytes inside one line; read its result after the step.</summary>
    public static WriterStep.CompareExchange CompareExchange(ulong address, byte[] expected, byte[] value) => new(address, expected, value);

    /// <summary>Sets what the rig gives the patcher's #BP handler as the batch in progress.</summary>
    internal Action<IReadOnlyList<PatchRequest>>? Publisher { get; init; }

    /// <summary>
    /// Makes <paramref name="batch"/> the active one (<see cref="BreakpointContext.Active"/>), as
    /// Linux publishes <c>bp_desc</c>. A patcher that calls this owns the active batch: the rig no
    /// longer publishes each batch for it at its first step. Call it from inside the steps (under the
    /// lock), and <see cref="Retract"/> when the patch is done, so a stale int3 finds nothing.
    /// </summary>
    public void Publish(IReadOnlyList<PatchRequest> batch) => Publisher?.Invoke(batch);

    /// <summary>No batch is active any more (Linux drops <c>bp_desc</c>'s last reference): the handler sees an empty <see cref="BreakpointContext.Active"/>.</summary>
    public void Retract() => Publisher?.Invoke([]);
}

/// <summary>
/// Executable stubs for patchers: fixed-size slots in a stub region, handed out in address order.
/// A patcher decides whether to reuse a slot (the per-call stub scheme does) or take a new one.
/// </summary>
public sealed class StubArea
{
    public const int SlotSize = 32;
    private readonly MemoryRegion _region;
    private int _next;

    internal StubArea(MemoryRegion region) => _region = region;

    public ulong Base => _region.Base;

    /// <summary>A fresh slot; throws when the area is full.</summary>
    public ulong Allocate()
    {
        if ((_next + 1) * SlotSize > _region.Size) throw new InvalidOperationException($"the stub area ({_region}) is full");
        return _region.Base + (ulong)(_next++ * SlotSize);
    }

    /// <summary>Hands out slots from the first again (a reset rig's fresh area; the stubs' bytes are the memory's to restore).</summary>
    internal void Reset() => _next = 0;

    /// <summary>The slot with index <paramref name="index"/> (for patchers that reuse a fixed stub).</summary>
    public ulong Slot(int index) => _region.Base + (ulong)(index * SlotSize);
}
