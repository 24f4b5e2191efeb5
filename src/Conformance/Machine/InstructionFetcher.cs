using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Machine;

/// <summary>
/// Instruction fetch under a fetch model. For each fetch unit the decoder touches, the moment it is
/// read is chosen (by <see cref="FetchChoices"/>) among the versions of that unit's bytes between
/// the CPU's last serializing event and now, and no more than <see cref="StalenessWindow"/> clock
/// ticks back. When no code byte of the region changed inside that window, every choice would read
/// the current bytes, so the fetch takes the shared decode cache and consumes no choice.
/// </summary>
public sealed class InstructionFetcher : IInstructionFetcher
{
    private readonly Memory _memory;
    private readonly FetchChoices _choices;
    private readonly Action<FetchRecord>? _observer;
    private readonly Func<ulong, int, bool>? _watches;
    private readonly UnitReader _reader;
    private readonly Decoder _decoder;
    private MemoryRegion? _codeRegion;

    /// <param name="memory">The memory fetched from.</param>
    /// <param name="model">Where fetch units begin and end.</param>
    /// <param name="choices">The fetch choices of the run, consumed one per unit with more than one version.</param>
    /// <param name="stalenessWindow">How far back (clock ticks) a unit may be read.</param>
    /// <param name="observer">Hears every fetch (or, with <paramref name="watches"/>, those it says it watches) as a <see cref="FetchRecord"/>.</param>
    /// <param name="watches">Whether the observer wants the fetch of these many bytes at this address: the others make no record (no allocation).</param>
    public InstructionFetcher(Memory memory, IFetchModel model, FetchChoices choices, long stalenessWindow, Action<FetchRecord>? observer = null,
        Func<ulong, int, bool>? watches = null)
    {
        _watches = watches;
        if (stalenessWindow < 0) throw new ArgumentOutOfRangeException(nameof(stalenessWindow), "the staleness window cannot be negative");
        _memory = memory;
        Model = model;
        _choices = choices;
        StalenessWindow = stalenessWindow;
        _observer = observer;
        _reader = new UnitReader(this);
        _decoder = Decoder.Create(64, _reader, DecoderOptions.None);
    }

    public IFetchModel Model { get; }
    public long StalenessWindow { get; }

    public DecodedInstruction? Fetch(Cpu cpu, ulong rip, out FaultKind fault)
    {
        // Code fetches stay in one region for long stretches; remember it rather than searching.
        var region = _codeRegion is { } last && last.Contains(rip) ? last : _codeRegion = _memory.Find(rip);
        long now = _memory.Now;
        long oldest = Math.Max(cpu.State.LastSerializingTime, now - StalenessWindow);
        if (region?.History is not { } history || history.LastChangeAnywhere <= oldest || _memory.Decoded.IsHostAddress(rip))
        {
            var d = _memory.Decoded.Lookup(rip, out fault);
            if (d is not null && _observer is not null && (_watches is null || _watches(rip, Math.Max(1, d.Length)))) Observe(cpu, rip, now, d);
            return d;
        }

        _reader.Begin(region, rip, now, oldest);
        _decoder.IP = rip;
        _decoder.Decode(out var instruction);
        fault = default;
        if (instruction.IsInvalid && _decoder.LastError == DecoderError.NoMoreBytes && _reader.RanOut)
        {
            fault = FaultKind.FetchPastRegionEnd;
            return null;
        }
        // A loop, not Units.All(u => ...): a lambda capturing `now` made the compiler allocate its
        // closure at the top of Fetch, on the fast path too, one object every step.
        bool allCurrent = true;
        foreach (var u in _reader.Units) allCurrent &= u.Moment == now;
        var decoded = allCurrent
            ? _memory.Decoded.Lookup(rip, out fault)!
            : _memory.Decoded.DecodeBytes(rip, _reader.Bytes(instruction.Length), out _);
        if (_observer is not null && (_watches is null || _watches(rip, _reader.Length(Math.Max(1, instruction.Length)))))
            _observer(new FetchRecord(cpu.Id, now, rip, _reader.Bytes(Math.Max(1, instruction.Length)), _reader.Units.ToArray(), decoded));
        return decoded;
    }

    private void Observe(Cpu cpu, ulong rip, long now, DecodedInstruction d)
    {
        var bytes = new byte[Math.Max(1, d.Length)];
        if (d.Length > 0) _memory.ReadCurrent(rip, bytes);
        _observer!(new FetchRecord(cpu.Id, now, rip, bytes, new[] { new FetchUnit(rip, rip + (ulong)d.Length, now) }, d));
    }

    /// <summary>Feeds Iced byte by byte, choosing each unit's moment the first time a byte of it is read.</summary>
    private sealed class UnitReader(InstructionFetcher owner) : CodeReader
    {
        private readonly byte[] _bytes = new byte[DecodeCache.MaxInstructionLength];
        private readonly List<long> _changes = new();
        private MemoryRegion _region = null!;
        private ulong _rip, _unitEnd;
        private long _now, _oldest, _moment;
        private int _count;

        public List<FetchUnit> Units { get; } = new();
        public bool RanOut { get; private set; }

        public void Begin(MemoryRegion region, ulong rip, long now, long oldest)
        {
            _region = region; _rip = rip; _now = now; _oldest = oldest;
            _count = 0; _unitEnd = rip; RanOut = false;
            Units.Clear();
        }

        public byte[] Bytes(int length) => _bytes.AsSpan(0, Length(length)).ToArray();

        /// <summary>How many of the first <paramref name="length"/> bytes were read.</summary>
        public int Length(int length) => Math.Min(length, _count);

        public override int ReadByte()
        {
            ulong address = _rip + (ulong)_count;
            if (_count >= _bytes.Length || !_region.Contains(address)) { RanOut = true; return -1; }
            if (address >= _unitEnd) BeginUnit(address);
            int offset = (int)(address - _region.Base);
            byte value = _region.History!.ValueAt(offset, _moment, _region.Bytes[offset]);
            _bytes[_count++] = value;
            return value;
        }

        /// <summary>
        /// The versions of a unit are the current bytes and the bytes just before each change inside
        /// the window; the choice picks one, newest first.
        /// </summary>
        private void BeginUnit(ulong address)
        {
            var (start, end) = owner.Model.UnitOf(address, _rip);
            _changes.Clear();
            for (ulong a = Math.Max(start, _region.Base); a < end && a < _region.End; a++)
                _region.History!.ChangesAfter((int)(a - _region.Base), _oldest, _changes);
            _changes.Sort((x, y) => y.CompareTo(x));
            int versions = 1;
            for (int i = 0; i < _changes.Count; i++)
                if (i == 0 || _changes[i] != _changes[i - 1]) _changes[versions++ - 1] = _changes[i];
            // versions - 1 distinct change times, newest first; version k (k >= 1) is the moment before change k.
            int pick = owner._choices.Next(versions);
            _moment = pick == 0 ? _now : _changes[pick - 1] - 1;
            _unitEnd = end;
            Units.Add(new FetchUnit(start, end, _moment));
        }
    }
}
