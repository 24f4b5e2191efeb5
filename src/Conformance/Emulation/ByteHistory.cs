namespace Conformance.Emulation;

/// <summary>
/// What each byte of an executable region held at every moment, kept cheaply: a journal of
/// changes (time, previous value), linked backwards per byte. The current value lives in the
/// region; the value at an earlier moment is found by walking back over the changes made after
/// it, which for a patched site is a handful of entries and for the rest of text is none.
/// </summary>
public sealed class ByteHistory
{
    private readonly struct Change(long time, byte previous, int older)
    {
        public readonly long Time = time;
        public readonly byte Previous = previous;
        public readonly int Older = older;   // index of this byte's previous change, or -1
    }

    private readonly int _size;
    private int[]? _latest;                          // per byte: index of its newest change, or -1; made at the first change
    private readonly List<Change> _journal = new();

    public ByteHistory(int size) => _size = size;

    private int[] Latest()
    {
        if (_latest is null)
        {
            _latest = new int[_size];
            Array.Fill(_latest, -1);
        }
        return _latest;
    }

    /// <summary>Number of recorded changes (for tests and statistics).</summary>
    public int Count => _journal.Count;

    /// <summary>The moment any byte of the region last changed, or <see cref="long.MinValue"/>: a fetch
    /// that cannot look back past it sees only current bytes.</summary>
    public long LastChangeAnywhere { get; private set; } = long.MinValue;

    /// <summary>Records that the byte at <paramref name="offset"/> held <paramref name="previous"/> until <paramref name="time"/>.</summary>
    public void Record(int offset, long time, byte previous)
    {
        var latest = Latest();
        _journal.Add(new Change(time, previous, latest[offset]));
        latest[offset] = _journal.Count - 1;
        if (time > LastChangeAnywhere) LastChangeAnywhere = time;
    }

    /// <summary>The moment the byte last changed, or <see cref="long.MinValue"/> if it never did.</summary>
    public long LastChange(int offset)
    {
        int i = _latest is null ? -1 : _latest[offset];
        return i < 0 ? long.MinValue : _journal[i].Time;
    }

    /// <summary>Adds the moments after <paramref name="after"/> at which the byte changed, newest first.</summary>
    public void ChangesAfter(int offset, long after, List<long> into)
    {
        for (int i = _latest is null ? -1 : _latest[offset]; i >= 0; i = _journal[i].Older)
        {
            long t = _journal[i].Time;
            if (t <= after) break;
            into.Add(t);
        }
    }

    /// <summary>
    /// The value the byte held at <paramref name="time"/> (after every store stamped at or before it),
    /// given its <paramref name="current"/> value.
    /// </summary>
    public byte ValueAt(int offset, long time, byte current)
    {
        byte value = current;
        for (int i = _latest is null ? -1 : _latest[offset]; i >= 0; i = _journal[i].Older)
        {
            var c = _journal[i];
            if (c.Time <= time) break;
            value = c.Previous;
        }
        return value;
    }
}
