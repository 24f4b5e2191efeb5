using Conformance.Probe.Native;
using Conformance.Probe.Rows;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Probe.Layout;

/// <summary>
/// Where everything of one probe cell lives in its reservation, and the bytes to put there.
/// </summary>
/// <remarks>
/// <para>Page 0 holds the reader: an entry at +0x100 (<c>lea rdx, [flag]; xor eax, eax; jmp site</c>),
/// the site <c>e8 rel32</c> at +0x800 plus the placement's line offset, and after it the loop
/// (<c>inc rax; cmp byte [rdx], 0; je site; ret</c>): one call per iteration until the stop flag is
/// set, the iterations in rax. Page 1 is data: the stop flag, then one 64-bit counter per
/// mixture. Page 2 is the writer. The call targets lie 1 MiB and more away, in pages of their own.</para>
/// <para>Why every torn fetch is counted and none can crash: the two displacements are
/// <c>7e 00 10 00</c> and <c>be 01 11 01</c> (in the bytes a row changes), so each byte of the site
/// only ever holds the values the cycle's snapshots give it. The layout takes every combination of
/// those values (the product over the five bytes: what the <c>architectural</c> model allows, and
/// so a superset of every model's outcomes), decodes each with Iced, and puts a counting stub
/// (<c>inc qword [counter]; ret</c>) at the target of each distinct call. The displacement bytes
/// differ by 0x40 in the lowest byte and by 1 in the others, so the targets are distinct and at
/// least 64 bytes apart. A spin row also writes <c>eb fe</c>: <c>eb</c> with the old or new second
/// byte (7e, be) is a short jmp to site+0x80 or site-0x40, where a stub counts it and jumps back
/// into the loop; <c>eb fe</c> is the spin itself and counts nothing. Any other decoding (a row
/// writing an int3, an opcode other than e8/eb) is refused before anything runs.</para>
/// </remarks>
public sealed class ProbeLayout
{
    public const long ReservationSize = 32L << 20;
    public const long ReaderPage = 0, DataPage = 0x1000, WriterPage = 0x2000;
    public const int EntryOffset = 0x100, SiteLineBase = 0x800, FlagOffset = 0, CountersOffset = 0x40;
    public const int PageBytes = 0x1000;

    /// <summary>The displacement of the old call, and the values the changed bytes take in the new one.</summary>
    public static readonly byte[] OldDisplacement = [0x7e, 0x00, 0x10, 0x00], NewDisplacement = [0xbe, 0x01, 0x11, 0x01];

    private readonly List<(ulong Address, byte[] Code)> _stubs = new();

    private ProbeLayout(ProbeRow row, Placement placement, ulong @base)
    {
        Row = row;
        Placement = placement;
        Base = @base;
        Site = @base + SiteLineBase + (ulong)placement.LineOffset;
        Entry = @base + EntryOffset;
        Flag = @base + DataPage + FlagOffset;
        var rel = (byte[])OldDisplacement.Clone();
        foreach (int i in row.ChangedDisplacementBytes) rel[i] = NewDisplacement[i];
        Old = [0xe8, .. OldDisplacement];
        New = [0xe8, .. rel];
    }

    public ProbeRow Row { get; }
    public Placement Placement { get; }
    public ulong Base { get; }
    public ulong Site { get; }
    public ulong Entry { get; }
    public ulong Flag { get; }
    public byte[] Old { get; }
    public byte[] New { get; }

    /// <summary>The writer's stores, or why the row does not apply here.</summary>
    public RowCycle Cycle { get; private set; } = RowCycle.Declined("not built");

    /// <summary>Page 0 as the reader starts: the site holds the old call.</summary>
    public byte[] ReaderImage { get; private set; } = [];

    /// <summary>Every instruction the site can decode to during the cycle, by bytes; holding instructions included.</summary>
    public IReadOnlyList<Mixture> Mixtures { get; private set; } = [];

    /// <summary>The counting stubs outside page 0 (the call targets).</summary>
    public IReadOnlyList<(ulong Address, byte[] Code)> Stubs => _stubs;

    public ulong Counter(int index) => Base + DataPage + CountersOffset + (ulong)(8 * index);

    /// <summary>Code page offsets: the reader's page, the writer's, and the pages of the stubs.</summary>
    public IReadOnlyList<long> CodePages =>
        new[] { ReaderPage, WriterPage }
            .Concat(_stubs.SelectMany(s => new[] { (long)(s.Address - Base), (long)(s.Address - Base) + s.Code.Length - 1 }).Select(o => o - o % PageBytes))
            .Distinct().Order().ToArray();

    /// <summary>The cell's layout at <paramref name="base"/>; a row whose bytes the probe cannot make safe throws, saying which instruction.</summary>
    public static ProbeLayout Build(ProbeRow row, Placement placement, ulong @base)
    {
        if (@base % PageBytes != 0) throw new ArgumentException("the base must be page-aligned");
        var layout = new ProbeLayout(row, placement, @base);
        layout.Lay();
        return layout;
    }

    private void Lay()
    {
        var image = new byte[PageBytes];
        Array.Fill(image, (byte)0xcc);
        byte[] entry = EntryCode(), tail = LoopTail();
        Put(image, Entry, entry);
        Put(image, Site, Old);
        Put(image, Site + 5, tail);
        Cycle = Row.Cycle(new SiteWindow(Placement, Base, (byte[])image.Clone(), Site, Old, New));
        if (!Cycle.Applies)
        {
            ReaderImage = image;
            return;
        }
        var values = SiteValues(image);
        var mixtures = new SortedDictionary<string, (byte[] Bytes, Instruction Decoded)>(StringComparer.Ordinal);
        foreach (var bytes in Product(values))
        {
            var decoded = Decode(bytes, image);
            var key = bytes[..decoded.Length];
            mixtures.TryAdd(Convert.ToHexString(key), (key, decoded));
        }
        var list = new List<Mixture>();
        int counter = 2;   // 0: the old call, 1: the new one, then the torn ones in byte order
        foreach (var (bytes, decoded) in mixtures.Values)
        {
            var kind = bytes.AsSpan().SequenceEqual(Old) ? MixtureKind.Old
                : bytes.AsSpan().SequenceEqual(New) ? MixtureKind.New
                : bytes.AsSpan().SequenceEqual(SpinBytes.Spin) ? MixtureKind.Holding
                : MixtureKind.Torn;
            int index = kind switch { MixtureKind.Old => 0, MixtureKind.New => 1, MixtureKind.Holding => -1, _ => counter++ };
            bool jmp = decoded.Code == Code.Jmp_rel8_64;
            if (kind != MixtureKind.Holding && decoded.Code != Code.Call_rel32_64 && !jmp)
                throw new ProbeUnavailableException($"{Row.Name} at {Placement}: a CPU could execute {Hex(bytes)} ({decoded}) at the site, which the probe cannot send to a counting stub: it replays call-to-call changes of int3-free schemes only");
            list.Add(new Mixture(bytes, kind, decoded.ToString(), decoded.NearBranch64, index, jmp));
        }
        Mixtures = list;
        var pieces = new List<(ulong Address, int Length, string What)> { (Entry, entry.Length, "the reader's entry"), (Site, 5 + tail.Length, "the site and its loop") };
        foreach (var m in list.Where(m => m.Kind != MixtureKind.Holding))
        {
            byte[] stub = m.IsJmp
                ? Asm.At(m.Target, a => { a.AddInstruction(Asm.IncCounter(Counter(m.Counter))); a.jmp(Site + 5); })
                : Asm.At(m.Target, a => { a.AddInstruction(Asm.IncCounter(Counter(m.Counter))); a.ret(); });
            pieces.Add((m.Target, stub.Length, $"the stub of {m.Hex}"));
            if (m.IsJmp) Put(image, m.Target, stub);
            else _stubs.Add((m.Target, stub));
        }
        CheckDisjoint(pieces);
        ReaderImage = image;
    }

    /// <summary><c>lea rdx, [flag]; xor eax, eax; jmp site</c>: the reader's entry (System V: rax returns the iterations).</summary>
    private byte[] EntryCode() => Asm.At(Entry, a =>
    {
        a.AddInstruction(Asm.Lea(Iced.Intel.Register.RDX, Flag));
        a.xor(eax, eax);
        a.jmp(Site);
    });

    /// <summary>After the site: count the iteration, loop while the stop flag is clear.</summary>
    private byte[] LoopTail() => Asm.At(Site + 5, a =>
    {
        a.inc(rax);
        a.AddInstruction(Asm.FlagClear(Iced.Intel.Register.RDX));
        a.je(Site);
        a.ret();
    });

    /// <summary>
    /// The writer at <paramref name="at"/> (page 2): <c>mov rsi, ALIAS</c> (the site's address as
    /// the writer must store to it), then the cycle's stores, one <c>mov</c> each, repeated until the
    /// stop flag is set; only ever stops after a whole cycle (the site back at the old call). rax
    /// returns the cycles.
    /// </summary>
    public byte[] WriterCode(ulong at, ulong siteAlias) => Asm.At(at, a =>
    {
        a.mov(rsi, siteAlias);
        a.AddInstruction(Asm.Lea(Iced.Intel.Register.RDX, Flag));
        a.xor(eax, eax);
        var loop = a.CreateLabel();
        a.Label(ref loop);
        foreach (var s in Cycle.Stores)
            foreach (var i in Asm.Store(Iced.Intel.Register.RSI, s.Offset, s.Bytes)) a.AddInstruction(i);
        a.inc(rax);
        a.AddInstruction(Asm.FlagClear(Iced.Intel.Register.RDX));
        a.je(loop);
        a.ret();
    });

    /// <summary>For each of the site's 5 bytes, the values it holds over the cycle's snapshots (the cycle must change nothing else and end where it began).</summary>
    private List<byte>[] SiteValues(byte[] image)
    {
        var state = (byte[])image.Clone();
        int site = (int)(Site - Base);
        var values = Enumerable.Range(0, 5).Select(i => new List<byte> { state[site + i] }).ToArray();
        foreach (var s in Cycle.Stores)
        {
            int at = site + s.Offset;
            if (at < 0 || at + s.Bytes.Length > state.Length) throw new ProbeUnavailableException($"{Row.Name} at {Placement}: {s} lies outside the reader's page");
            s.Bytes.CopyTo(state, at);
            for (int i = 0; i < 5; i++)
                if (!values[i].Contains(state[site + i])) values[i].Add(state[site + i]);
            for (int k = 0; k < state.Length; k++)
                if ((k < site || k >= site + 5) && state[k] != image[k])
                    throw new ProbeUnavailableException($"{Row.Name} at {Placement}: {s} changes the byte at site{k - site:+0;-0}, outside the call");
        }
        if (!state.AsSpan(site, 5).SequenceEqual(Old)) throw new ProbeUnavailableException($"{Row.Name} at {Placement}: the cycle ends at {Hex(state[site..(site + 5)])}, not at the old call");
        foreach (var v in values) v.Sort();
        return values;
    }

    private static IEnumerable<byte[]> Product(List<byte>[] values)
    {
        IEnumerable<byte[]> acc = [[]];
        foreach (var v in values) acc = acc.SelectMany(prefix => v.Select(b => (byte[])[.. prefix, b]));
        return acc;
    }

    private Instruction Decode(byte[] bytes, byte[] image)
    {
        int site = (int)(Site - Base);
        byte[] window = [.. bytes, .. image[(site + 5)..(site + 15)]];
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(window), Site);
        decoder.Decode(out var instruction);
        if (instruction.IsInvalid || instruction.Length > 5)
            throw new ProbeUnavailableException($"{Row.Name} at {Placement}: a CPU could read {Hex(bytes)} at the site, which does not decode to one instruction of the site");
        return instruction;
    }

    private void CheckDisjoint(List<(ulong Address, int Length, string What)> pieces)
    {
        var sorted = pieces.OrderBy(p => p.Address).ToArray();
        for (int i = 0; i < sorted.Length; i++)
        {
            var p = sorted[i];
            long offset = (long)(p.Address - Base);
            if (p.Address < Base || offset + p.Length > ReservationSize)
                throw new ProbeUnavailableException($"{Row.Name} at {Placement}: {p.What} at 0x{p.Address:x} falls outside the probe's reservation");
            long page = offset - offset % PageBytes;
            if ((page == DataPage || page == WriterPage) || (page != ReaderPage && (offset + p.Length - 1) / PageBytes * PageBytes is DataPage or WriterPage))
                throw new ProbeUnavailableException($"{Row.Name} at {Placement}: {p.What} at 0x{p.Address:x} falls on the data or writer page");
            if (i + 1 < sorted.Length && p.Address + (ulong)p.Length > sorted[i + 1].Address)
                throw new ProbeUnavailableException($"{Row.Name} at {Placement}: {p.What} at 0x{p.Address:x} overlaps {sorted[i + 1].What} at 0x{sorted[i + 1].Address:x}");
        }
    }

    private static void Put(byte[] image, ulong address, byte[] code, ulong @base) => code.CopyTo(image, (int)(address - @base));

    private void Put(byte[] image, ulong address, byte[] code) => Put(image, address, code, Base);

    private static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2")));
}
