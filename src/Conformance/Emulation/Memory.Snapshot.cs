namespace Conformance.Emulation;

/// <summary>The contents of a memory at one moment (every region's bytes and the clock), to go back to.</summary>
public sealed class MemorySnapshot
{
    internal MemorySnapshot(long now, byte[][] bytes)
    {
        Now = now;
        Bytes = bytes;
    }

    internal long Now { get; }
    internal byte[][] Bytes { get; }
}

public sealed partial class Memory
{
    private readonly List<int> _changed = new();

    /// <summary>
    /// The memory as it is now, to <see cref="Restore"/> later. Code must not have changed yet (no
    /// history): a restore puts back the bytes its history names, which is what keeps it cheap.
    /// </summary>
    public MemorySnapshot Snapshot()
    {
        foreach (var r in _regions)
            if (r.History is { Count: > 0 })
                throw new InvalidOperationException($"cannot snapshot {r} after its code changed: take the snapshot before the run");
        return new MemorySnapshot(_now, _regions.Select(r => (byte[])r.Bytes.Clone()).ToArray());
    }

    /// <summary>
    /// Puts every region and the clock back as they were at <paramref name="snapshot"/>. Data and stacks
    /// are copied back whole; code only where its history says it changed, and only those addresses
    /// leave the decode cache, so the instructions decoded in earlier runs stay decoded.
    /// </summary>
    public void Restore(MemorySnapshot snapshot)
    {
        if (snapshot.Bytes.Length != _regions.Count)
            throw new InvalidOperationException($"the memory has {_regions.Count} regions; the snapshot was taken with {snapshot.Bytes.Length}");
        for (int i = 0; i < _regions.Count; i++)
        {
            var r = _regions[i];
            var saved = snapshot.Bytes[i];
            if (r.History is { } history)
            {
                _changed.Clear();
                history.Clear(_changed);
                foreach (int offset in _changed)
                {
                    r.Bytes[offset] = saved[offset];
                    Decoded.Invalidate(r.Base + (ulong)offset, 1);
                }
            }
            else
                saved.CopyTo(r.Bytes, 0);
        }
        _now = snapshot.Now;
    }
}
