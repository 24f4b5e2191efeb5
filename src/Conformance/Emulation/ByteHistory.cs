namespace Conformance.Emulation;

/// <summary>
/// What each byte of an executable region held at every moment, kept cheaply: a journal of
/// changes (time, previous value), linked backwards per byte. The current value lives in the
/// region; the value at an earlier moment is found by walking back over the changes made after
/// it, which for a patched site is a handful of entries and for the rest of text is none.
/// </summary>
public sealed class ByteHistory
{
    private readonly struct Change(long time, byte previous, int older, int offset)
    {
        public readonly long Time = time;
        public readonly byte Previous = previous;
        public readonly int Older = older;   // index of this byte's previous change, or -1
        public readonly int Offset = offset;
    }

    // Per byte: index of its newest change, or -1. Kept in pages made at a page's first change: code
    // changes at a few sites, and one array for a whole 64 KiB text cost more than the run using it.
    private const int PageBits = 6, PageSize = 1 << PageBits;
    private readonly int _size;
    private int[]?[]? _pages;                        // made at the first change
    private readonly List<Change> _journal = new();

    public ByteHistory(int size) => _size = size;

    /// <summary>The index of the newest change of the byte at <paramref name="offset"/>, or -1.</summary>
    private int Newest(int offset) => _pages?[offset >> PageBits] is { } page ? page[offset & (PageSize - 1)] : -1;

    private void SetNewest(int offset, int index)
    {
        _pages ??= new int[]?[(_size + PageSize - 1) >> PageBits];
        ref var page = ref _pages[offset >> PageBits];
        if (page is null)
        {
            page = new int[PageSize];
            Array.Fill(page, -1);
        }
        page[offset & (PageSize - 1)] = index;
    }

    /// <summary>Number of recorded changes (for tests and statistics).</summary>
    public int Count => _journal.Count;

    /// <summary>The moment any byte of the region last changed, or <see cref="long.MinValue"/>: a fetch
    /// that cannot look back past it sees only current bytes.</summary>
    public long LastChangeAnywhere { get; private set; } = long.MinValue;

    /// <summary>Records that the byte at <paramref name="offset"/> held <paramref name="previous"/> until <paramref name="time"/>.</summary>
    public void Record(int offset, long time, byte previous)
    {
        _journal.Add(new Change(time, previous, Newest(offset), offset));
        SetNewest(offset, _journal.Count - 1);
        if (time > LastChangeAnywhere) LastChangeAnywhere = time;
    }

    /// <summary>
    /// Adds every change stamped after <paramref name="after"/> as (time, offset, previous value),
    /// in the order recorded: what a fetch that may look back to <paramref name="after"/> can see
    /// besides the current bytes (the exhaustive explorer's state hash).
    /// </summary>
    public void ChangesAfter(long after, List<(long Time, int Offset, byte Previous)> into)
    {
        foreach (var c in _journal)
            if (c.Time > after) into.Add((c.Time, c.Offset, c.Previous));
    }

    /// <summary>Adds, in offset order, every byte that ever changed whose value now differs from the one it held before its first change.</summary>
    public void Differing(byte[] current, List<int> into)
    {
        if (_pages is null) return;
        for (int p = 0; p < _pages.Length; p++)
        {
            if (_pages[p] is not { } page) continue;
            for (int i = 0; i < PageSize; i++)
            {
                int j = page[i];
                if (j < 0) continue;
                while (_journal[j].Older >= 0) j = _journal[j].Older;
                int offset = (p << PageBits) + i;
                if (current[offset] != _journal[j].Previous) into.Add(offset);
            }
        }
    }

    /// <summary>The moment the byte last changed, or <see cref="long.MinValue"/> if it never did.</summary>
    public long LastChange(int offset)
    {
        int i = Newest(offset);
        return i < 0 ? long.MinValue : _journal[i].Time;
    }

    /// <summary>Adds the moments after <paramref name="after"/> at which the byte changed, newest first.</summary>
    public void ChangesAfter(int offset, long after, List<long> into)
    {
        for (int i = Newest(offset); i >= 0; i = _journal[i].Older)
        {
            long t = _journal[i].Time;
            if (t <= after) break;
            into.Add(t);
        }
    }

    /// <summary>
    /// Undoes every change: each byte that changed gets back the value it held before its first
    /// change (the oldest journal entry keeps it, so no copy of the region is needed), its offset is
    /// added to <paramref name="changed"/> (once each), and the history is empty again.
    /// </summary>
    internal void Undo(byte[] bytes, List<int> changed)
    {
        if (_pages is not null)
            for (int p = 0; p < _pages.Length; p++)
            {
                if (_pages[p] is not { } page) continue;
                for (int i = 0; i < PageSize; i++)
                {
                    int j = page[i];
                    if (j < 0) continue;
                    while (_journal[j].Older >= 0) j = _journal[j].Older;
                    int offset = (p << PageBits) + i;
                    bytes[offset] = _journal[j].Previous;
                    changed.Add(offset);
                }
                Array.Fill(page, -1);   // kept: the next run changes the same sites
            }
        _journal.Clear();
        LastChangeAnywhere = long.MinValue;
    }

    /// <summary>
    /// The value the byte held at <paramref name="time"/> (after every store stamped at or before it),
    /// given its <paramref name="current"/> value.
    /// </summary>
    public byte ValueAt(int offset, long time, byte current)
    {
        byte value = current;
        for (int i = Newest(offset); i >= 0; i = _journal[i].Older)
        {
            var c = _journal[i];
            if (c.Time <= time) break;
            value = c.Previous;
        }
        return value;
    }
}
