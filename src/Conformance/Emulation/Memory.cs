using System.Buffers.Binary;

namespace Conformance.Emulation;

/// <summary>
/// Sparse emulated memory shared by every CPU: named regions, a logical clock, and the rule for
/// store atomicity. A store of up to 8 bytes inside one 64-byte line is one event with one time
/// stamp; any other store is split into byte events, each with its own stamp, lowest address first
/// (SDM vol. 3, 8.1.1 guarantees no more). Stores to code record each byte's previous value in the
/// region's <see cref="ByteHistory"/> and drop the decoded instructions they overlap.
/// Loads always see the newest values: the data side is sequentially consistent in this model.
/// </summary>
public sealed class Memory
{
    /// <summary>Bytes per cache line: the unit inside which a store of up to 8 bytes is one event.</summary>
    public const int LineSize = 64;

    private readonly List<MemoryRegion> _regions = new();   // sorted by base address
    private MemoryRegion? _lastHit;                          // most accesses hit the region of the last one
    private long _now;

    public Memory() => Decoded = new DecodeCache(this);

    /// <summary>The logical clock: advanced by every store event and by every CPU step.</summary>
    public long Now => _now;

    /// <summary>The decoded-instruction cache over this memory's code, shared by every CPU.</summary>
    public DecodeCache Decoded { get; }

    public IReadOnlyList<MemoryRegion> Regions => _regions;

    /// <summary>Advances the clock by one and returns the new time.</summary>
    public long Tick() => ++_now;

    /// <summary>Maps a zero-filled region. Regions may not overlap.</summary>
    public MemoryRegion Map(string name, RegionKind kind, ulong @base, int size)
    {
        var region = new MemoryRegion(name, kind, @base, size);
        foreach (var r in _regions)
            if (@base < r.End && r.Base < region.End)
                throw new ArgumentException($"region '{name}' [0x{@base:x}, 0x{region.End:x}) overlaps {r}");
        int at = 0;
        while (at < _regions.Count && _regions[at].Base < @base) at++;
        _regions.Insert(at, region);
        return region;
    }

    /// <summary>The region holding <paramref name="address"/>, or null.</summary>
    public MemoryRegion? Find(ulong address)
    {
        var hit = _lastHit;
        if (hit is not null && hit.Contains(address)) return hit;
        foreach (var r in _regions)
            if (r.Contains(address)) return _lastHit = r;
        return null;
    }

    /// <summary>Fills memory before the run starts: no clock tick, no history (time 0 is the initial image).</summary>
    public void Load(ulong address, ReadOnlySpan<byte> bytes)
    {
        var r = Find(address);
        if (r is null || !r.Contains(address, bytes.Length))
            throw new ArgumentException($"cannot load {bytes.Length} bytes at 0x{address:x}: not inside one mapped region");
        bytes.CopyTo(r.Bytes.AsSpan((int)(address - r.Base)));
        if (r.IsExecutable) Decoded.Invalidate(address, bytes.Length);
    }

    /// <summary>Reads the current bytes at an address (no events, no checks beyond mapping).</summary>
    public void ReadCurrent(ulong address, Span<byte> into)
    {
        var r = Find(address);
        if (r is null || !r.Contains(address, into.Length))
            throw new ArgumentException($"cannot read {into.Length} bytes at 0x{address:x}: not inside one mapped region");
        r.Bytes.AsSpan((int)(address - r.Base), into.Length).CopyTo(into);
    }

    /// <summary>What the code byte at <paramref name="address"/> held at <paramref name="time"/>.</summary>
    public byte ByteAt(ulong address, long time)
    {
        var r = Find(address) ?? throw new ArgumentException($"0x{address:x} is not mapped");
        int off = (int)(address - r.Base);
        return r.History is { } h ? h.ValueAt(off, time, r.Bytes[off]) : r.Bytes[off];
    }

    /// <summary>
    /// A privileged store (a patcher writing text or stubs, a test setting up data): any mapped
    /// region, with the atomicity rule and history. Returns the time of the last event it made.
    /// </summary>
    public long Poke(ulong address, ReadOnlySpan<byte> bytes)
    {
        var r = Find(address);
        if (r is null || !r.Contains(address, bytes.Length))
            throw new ArgumentException($"cannot store {bytes.Length} bytes at 0x{address:x}: not inside one mapped region");
        return StoreEvents(r, address, bytes);
    }

    /// <summary>Little-endian load of 1, 2, 4 or 8 bytes for an instruction. False when not inside one region.</summary>
    internal bool TryRead(ulong address, int width, out ulong value)
    {
        var r = Find(address);
        if (r is null || !r.Contains(address, width)) { value = 0; return false; }
        var span = r.Bytes.AsSpan((int)(address - r.Base), width);
        value = width switch
        {
            1 => span[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(span),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(span),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(span),
        };
        return true;
    }

    /// <summary>Little-endian store of 1, 2, 4 or 8 bytes by an instruction.</summary>
    internal FaultKind? TryWrite(ulong address, ulong value, int width)
    {
        var r = Find(address);
        if (r is null || !r.Contains(address, width)) return FaultKind.WriteUnmapped;
        if (!r.IsWritableByInstructions) return FaultKind.WriteReadOnly;
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        StoreEvents(r, address, bytes[..width]);
        return null;
    }

    /// <summary>Whether a store of <paramref name="length"/> bytes at <paramref name="address"/> is one event (at most 8 bytes inside one line), not byte events at consecutive ticks.</summary>
    public static bool IsOneEvent(ulong address, int length) => length <= 8 && address / LineSize == (address + (ulong)length - 1) / LineSize;

    private long StoreEvents(MemoryRegion r, ulong address, ReadOnlySpan<byte> bytes)
    {
        int off = (int)(address - r.Base);
        bool oneEvent = IsOneEvent(address, bytes.Length);
        long time = oneEvent ? Tick() : 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!oneEvent) time = Tick();
            r.History?.Record(off + i, time, r.Bytes[off + i]);
            r.Bytes[off + i] = bytes[i];
        }
        if (r.IsExecutable) Decoded.Invalidate(address, bytes.Length);
        return time;
    }
}
