namespace Conformance.Emulation;

/// <summary>
/// The contents of a memory at one moment, to go back to: the clock, and for each region that
/// instructions write (data, stacks) the span of it that is not zero. Code needs no copy: its
/// history holds every byte it changed from.
/// </summary>
public sealed class MemorySnapshot
{
    internal MemorySnapshot(long now, (int Start, byte[] Bytes)?[] regions)
    {
        Now = now;
        Regions = regions;
    }

    internal long Now { get; }

    /// <summary>Per region: where its non-zero span starts and its bytes; null for code.</summary>
    internal (int Start, byte[] Bytes)?[] Regions { get; }
}

public sealed partial class Memory
{
    private readonly List<int> _changed = new();

    /// <summary>
    /// The memory as it is now, to <see cref="Restore"/> later. Code must not have changed yet (no
    /// history): a restore undoes what its history records, which is what keeps snapshots small.
    /// </summary>
    public MemorySnapshot Snapshot()
    {
        var regions = new (int, byte[])?[_regions.Count];
        for (int i = 0; i < _regions.Count; i++)
        {
            var r = _regions[i];
            if (r.History is { } history)
            {
                if (history.Count > 0) throw new InvalidOperationException($"cannot snapshot {r} after its code changed: take the snapshot before the run");
                continue;
            }
            var bytes = r.Bytes.AsSpan();
            int start = bytes.IndexOfAnyExcept((byte)0);
            regions[i] = start < 0 ? (0, []) : (start, bytes[start..(bytes.LastIndexOfAnyExcept((byte)0) + 1)].ToArray());
        }
        return new MemorySnapshot(_now, regions);
    }

    /// <summary>
    /// Puts every region and the clock back as they were at <paramref name="snapshot"/>. Data and stacks
    /// are cleared and their non-zero span copied back; code is undone where its history says it
    /// changed, and only those addresses leave the decode cache, so the instructions decoded in earlier
    /// runs stay decoded.
    /// </summary>
    public void Restore(MemorySnapshot snapshot)
    {
        if (snapshot.Regions.Length != _regions.Count)
            throw new InvalidOperationException($"the memory has {_regions.Count} regions; the snapshot was taken with {snapshot.Regions.Length}");
        for (int i = 0; i < _regions.Count; i++)
        {
            var r = _regions[i];
            if (r.History is { } history)
            {
                _changed.Clear();
                history.Undo(r.Bytes, _changed);
                foreach (int offset in _changed) Decoded.Invalidate(r.Base + (ulong)offset, 1);
            }
            else if (snapshot.Regions[i] is var (start, bytes))
            {
                Array.Clear(r.Bytes);
                bytes.CopyTo(r.Bytes, start);
            }
        }
        _now = snapshot.Now;
    }
}
