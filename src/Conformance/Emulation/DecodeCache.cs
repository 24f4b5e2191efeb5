using Iced.Intel;

namespace Conformance.Emulation;

/// <summary>
/// Decoded instructions keyed by address, shared by every CPU over one <see cref="Memory"/>.
/// Direct-mapped: a hit is one array load and one compare, so the step loop allocates nothing.
/// A store to code drops every entry whose bytes it overlaps (an instruction is at most 15 bytes,
/// so only the 14 addresses before the store can start one). Entries reflect the current bytes;
/// a fetch model that reads older bytes decodes them with <see cref="DecodeBytes"/> instead.
/// </summary>
public sealed class DecodeCache
{
    /// <summary>Longest x86 instruction.</summary>
    public const int MaxInstructionLength = 15;
    private const int Slots = 1 << 12;   // power of two; text under test is a few KiB

    private readonly Memory _memory;
    private readonly DecodedInstruction?[] _slots = new DecodedInstruction?[Slots];
    private readonly Dictionary<ulong, IHostRoutine> _hosts = new();
    private readonly SpanCodeReader _reader = new();
    private readonly Decoder _decoder;
    private readonly byte[] _buffer = new byte[MaxInstructionLength];

    internal DecodeCache(Memory memory)
    {
        _memory = memory;
        _decoder = Decoder.Create(64, _reader, DecoderOptions.None);
    }

    /// <summary>Number of decodes performed (cache misses), for tests and statistics.</summary>
    public long Misses { get; private set; }

    /// <summary>Binds a host routine to an executable address: a CPU whose RIP reaches it runs the routine.</summary>
    public void BindHost(ulong address, IHostRoutine routine)
    {
        var r = _memory.Find(address);
        if (r is null || !r.IsExecutable)
            throw new ArgumentException($"host routine '{routine.Name}' must be bound inside text or a stub; 0x{address:x} is {(r is null ? "unmapped" : r.ToString())}");
        _hosts[address] = routine;
        Invalidate(address, 1);
    }

    /// <summary>Whether a host routine is bound at <paramref name="address"/>.</summary>
    public bool IsHostAddress(ulong address) => _hosts.ContainsKey(address);

    /// <summary>
    /// The instruction at <paramref name="address"/> from the current bytes, or a fault kind when
    /// nothing can be fetched there. Unsupported or undecodable bytes come back as an entry whose
    /// <see cref="DecodedInstruction.IsUnsupported"/> is set: executing it raises #UD.
    /// </summary>
    public DecodedInstruction? Lookup(ulong address, out FaultKind fault)
    {
        var entry = _slots[(int)(address & (Slots - 1))];
        if (entry is not null && entry.Address == address) { fault = default; return entry; }
        return Miss(address, out fault);
    }

    private DecodedInstruction? Miss(ulong address, out FaultKind fault)
    {
        var region = _memory.Find(address);
        fault = region is null ? FaultKind.FetchUnmapped : FaultKind.FetchNotExecutable;
        if (region is null || !region.IsExecutable) return null;
        fault = default;
        Misses++;
        DecodedInstruction d;
        if (_hosts.TryGetValue(address, out var host))
            d = new DecodedInstruction { Address = address, Length = 0, Op = Op.HostRoutine, Host = host };
        else
        {
            int n = (int)Math.Min((ulong)MaxInstructionLength, region.End - address);
            region.Bytes.AsSpan((int)(address - region.Base), n).CopyTo(_buffer);
            d = DecodeBytes(address, _buffer.AsSpan(0, n), out bool ranOut);
            if (ranOut) { fault = FaultKind.FetchPastRegionEnd; return null; }
        }
        _slots[(int)(address & (Slots - 1))] = d;
        return d;
    }

    /// <summary>
    /// Decodes one instruction at <paramref name="address"/> from <paramref name="bytes"/> (no caching).
    /// <paramref name="ranOut"/> is set when the bytes end before the instruction does.
    /// </summary>
    public DecodedInstruction DecodeBytes(ulong address, ReadOnlySpan<byte> bytes, out bool ranOut)
    {
        _reader.Reset(bytes);
        _decoder.IP = address;
        _decoder.Decode(out var instruction);
        ranOut = instruction.IsInvalid && _decoder.LastError == DecoderError.NoMoreBytes;
        return InstructionBuilder.Build(address, instruction);
    }

    /// <summary>Drops every cached instruction that overlaps [address, address + length).</summary>
    public void Invalidate(ulong address, int length)
    {
        ulong first = address >= MaxInstructionLength - 1 ? address - (MaxInstructionLength - 1) : 0;
        ulong end = address + (ulong)length;
        if (end - first >= Slots)
        {
            // A range wider than the cache (loading a whole text): look at each slot once instead.
            for (int i = 0; i < Slots; i++)
                if (_slots[i] is { } entry && entry.Address >= first && entry.Address < end && Overlaps(entry, address))
                    _slots[i] = null;
            return;
        }
        for (ulong a = first; a < end; a++)
        {
            ref var slot = ref _slots[(int)(a & (Slots - 1))];
            if (slot is not null && slot.Address == a && Overlaps(slot, address))
                slot = null;
        }
    }

    /// <summary>Whether a cached entry that starts before the end of a store reaches <paramref name="address"/> (a host routine: starts at or after it).</summary>
    private static bool Overlaps(DecodedInstruction entry, ulong address) =>
        entry.Length == 0 ? entry.Address >= address : entry.Address + (ulong)entry.Length > address;

    /// <summary>Iced reads bytes one at a time through this; it is refilled for every decode.</summary>
    private sealed class SpanCodeReader : CodeReader
    {
        private readonly byte[] _bytes = new byte[MaxInstructionLength];
        private int _length, _position;

        public void Reset(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_bytes);
            _length = bytes.Length;
            _position = 0;
        }

        public override int ReadByte() => _position < _length ? _bytes[_position++] : -1;
    }
}
