using Conformance.Patching;
using Iced.Intel;

namespace Conformance.Scanning;

/// <summary>One of Linux's tables in a file: where it was found, how many entries, how many became sites, and why the others did not.</summary>
public sealed record TableStats(string Table, string Where, int Entries, int Sites, IReadOnlyList<string> Unresolved);

/// <summary>
/// Linux's own lists of patch sites, read where a file has them (spec/scan.md, "Linux's tables"):
/// <c>__mcount_loc</c> and <c>__patchable_function_entries</c> (8-byte absolute addresses),
/// <c>.static_call_sites</c> (<c>struct static_call_site { s32 addr; s32 key; }</c>),
/// <c>__jump_table</c> (<c>struct jump_entry { s32 code; s32 target; long key; }</c>), the s32 fields
/// relative to their own address, and the trampolines of <c>.static_call.text</c>. A module or
/// object file has each as a section whose entries are relocations (read as <c>S + A</c>); vmlinux
/// has them merged into its data sections between the <c>__start_*</c> / <c>__stop_*</c> symbols
/// its linker script defines, the entries resolved. Every site's kind and length come from
/// decoding the instruction the entry points at, with Iced.
/// </summary>
public static class LinuxTables
{
    private sealed record Table(string Name, string? StartSymbol, string? StopSymbol);

    private static readonly Table Mcount = new("__mcount_loc", "__start_mcount_loc", "__stop_mcount_loc");
    private static readonly Table Patchable = new("__patchable_function_entries", null, null);
    private static readonly Table StaticCalls = new(".static_call_sites", "__start_static_call_sites", "__stop_static_call_sites");
    private static readonly Table JumpTable = new("__jump_table", "__start___jump_table", "__stop___jump_table");
    private static readonly Table Trampolines = new(".static_call.text", "__static_call_text_start", "__static_call_text_end");

    public static (IReadOnlyList<ScannedSite> Sites, IReadOnlyList<TableStats> Tables) Read(ElfImage image)
    {
        var sites = new List<ScannedSite>();
        var stats = new List<TableStats>();
        void Add(TableStats? s) { if (s is not null) stats.Add(s); }
        Add(Addresses(image, Mcount, ScanKind.Fentry, sites));
        Add(Addresses(image, Patchable, ScanKind.PatchableEntry, sites));
        Add(Entries(image, StaticCalls, 8, sites, StaticCallSite));
        Add(Entries(image, JumpTable, 16, sites, JumpLabel));
        Add(TrampolineTable(image, sites));
        return (sites, stats);
    }

    /// <summary>The table's bytes: its own section, or the range vmlinux's bounding symbols give (both in one section).</summary>
    private static (ElfSectionView Section, ulong Start, ulong Length, string Where)? Locate(ElfImage image, Table t)
    {
        if (image.Section(t.Name) is { } own) return (own, 0, (ulong)own.Bytes.Length, $"section {t.Name}");
        if (t.StartSymbol is null || image.Symbol(t.StartSymbol) is not { } start || image.Symbol(t.StopSymbol!) is not { } stop || stop < start) return null;
        if (stop == start) return image.SectionAt(start) is { } s0 ? (s0, start - s0.Address, 0, $"{t.StartSymbol}..{t.StopSymbol} in {s0.Name}") : null;
        if (image.SectionAt(start) is not { } s || !s.Contains(stop - 1)) return null;
        return (s, start - s.Address, stop - start, $"{t.StartSymbol}..{t.StopSymbol} in {s.Name}");
    }

    /// <summary>The address an entry's field refers to: relocated (<c>S + A</c>), relative to the field (s32), or absolute (u64); null when it cannot be known.</summary>
    private static ulong? Reference(ElfImage image, ElfSectionView section, ulong offset, bool relative)
    {
        if (image.Relocatable) return image.RelocationAt(section, offset)?.Target;
        if (offset + (relative ? 4UL : 8UL) > (ulong)section.Bytes.Length) return null;
        return relative
            ? section.Address + offset + (ulong)(long)BitConverter.ToInt32(section.Bytes, (int)offset)
            : BitConverter.ToUInt64(section.Bytes, (int)offset);
    }

    /// <summary>A table of 8-byte code addresses (mcount, patchable entries).</summary>
    private static TableStats? Addresses(ElfImage image, Table t, ScanKind kind, List<ScannedSite> sites)
    {
        if (Locate(image, t) is not var (section, start, length, where)) return null;
        var unresolved = new Unresolved();
        int entries = (int)(length / 8), made = 0;
        for (int e = 0; e < entries; e++)
        {
            ulong? address = Reference(image, section, start + (ulong)e * 8, relative: false);
            if (address is 0 or null) { unresolved.Add(address is null ? "no relocation or undefined symbol" : "zero (a discarded function)"); continue; }
            if (Decode(image, address.Value) is not { } i) { unresolved.Add("does not point at an instruction in a code section"); continue; }
            var siteKind = i.Code == Code.Call_rel32_64 && i.Length == 5 ? SiteKind.Call : IsNop5(i) ? SiteKind.Nop5 : (SiteKind?)null;
            // vmlinux keeps __patchable_function_entries inside the mcount range; the bytes say which an entry is.
            var k = kind == ScanKind.Fentry && siteKind is null && i.Mnemonic == Mnemonic.Nop ? ScanKind.PatchableEntry : kind;
            if (siteKind is null && i.Mnemonic != Mnemonic.Nop) { unresolved.Add($"points at '{i}', neither a call nor a NOP"); continue; }
            sites.Add(Site(image, k, siteKind, address.Value, i.Length));
            made++;
        }
        return new TableStats(t.Name, where, entries, made, unresolved.Lines);
    }

    /// <summary>A table of fixed-size entries whose first field is an s32 reference to the site.</summary>
    private static TableStats? Entries(ElfImage image, Table t, int size, List<ScannedSite> sites, Func<Instruction, (ScanKind, SiteKind)?> shape)
    {
        if (Locate(image, t) is not var (section, start, length, where)) return null;
        var unresolved = new Unresolved();
        int entries = (int)(length / (ulong)size), made = 0;
        for (int e = 0; e < entries; e++)
        {
            ulong? address = Reference(image, section, start + (ulong)(e * size), relative: true);
            if (address is null) { unresolved.Add("no relocation or undefined symbol"); continue; }
            if (Decode(image, address.Value) is not { } i) { unresolved.Add("does not point at an instruction in a code section"); continue; }
            if (shape(i) is not var (kind, siteKind)) { unresolved.Add($"points at '{i}', not a site of this table"); continue; }
            sites.Add(Site(image, kind, siteKind, address.Value, i.Length));
            made++;
        }
        return new TableStats(t.Name, where, entries, made, unresolved.Lines);
    }

    private static (ScanKind, SiteKind)? StaticCallSite(Instruction i) =>
        i.Code == Code.Call_rel32_64 && i.Length == 5 ? (ScanKind.StaticCall, SiteKind.Call)
        : i.Code == Code.Jmp_rel32_64 && i.Length == 5 ? (ScanKind.StaticCallTail, SiteKind.Jmp)
        : null;

    private static (ScanKind, SiteKind)? JumpLabel(Instruction i) =>
        i.Code == Code.Jmp_rel32_64 && i.Length == 5 ? (ScanKind.JumpLabel, SiteKind.Jmp)
        : IsNop5(i) ? (ScanKind.JumpLabel, SiteKind.Nop5)
        : i.Length == 2 && (i.Code == Code.Jmp_rel8_64 || i.Mnemonic == Mnemonic.Nop) ? (ScanKind.JumpLabel, SiteKind.Short)
        : null;

    /// <summary>Static call trampolines: a <c>jmp rel32</c>, or a <c>ret</c> padded with <c>int3</c> to 5 bytes, followed by <c>ud1 %esp, %ecx</c>.</summary>
    private static TableStats? TrampolineTable(ElfImage image, List<ScannedSite> sites)
    {
        if (Locate(image, Trampolines) is not var (section, start, length, where)) return null;
        int made = 0, candidates = 0;
        ulong at = section.Address + start, end = at + length;
        while (at < end)
        {
            if (Decode(image, at) is not { } i) { at++; continue; }
            if (i.Code == Code.Jmp_rel32_64 && i.Length == 5 || i.Mnemonic == Mnemonic.Ret && i.Length == 1)
            {
                candidates++;
                bool padded = i.Length == 5 || Enumerable.Range(1, 4).All(k => Decode(image, at + (ulong)k) is { Mnemonic: Mnemonic.Int3 });
                if (padded && Decode(image, at + 5) is { Code: Code.Ud1_r32_rm32, Length: 3 })
                {
                    sites.Add(Site(image, ScanKind.StaticCallTrampoline, SiteKind.Trampoline, at, 5));
                    made++;
                    at += 8;
                    continue;
                }
            }
            at += (ulong)i.Length;
        }
        var unresolved = new Unresolved();
        for (int k = made; k < candidates; k++) unresolved.Add("a jmp or ret without the trampoline signature after it");
        return new TableStats(Trampolines.Name, where, made, made, unresolved.Lines);
    }

    private static bool IsNop5(in Instruction i) => i.Mnemonic == Mnemonic.Nop && i.Length == 5;

    /// <summary>The instruction at <paramref name="address"/> if it lies in a code section and decodes.</summary>
    private static Instruction? Decode(ElfImage image, ulong address)
    {
        if (image.CodeAt(address) is not { } section) return null;
        int at = (int)(address - section.Address);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(section.Bytes, at, section.Bytes.Length - at), address);
        decoder.Decode(out var i);
        return i.IsInvalid ? null : i;
    }

    private static ScannedSite Site(ElfImage image, ScanKind kind, SiteKind? siteKind, ulong address, int length)
    {
        var section = image.CodeAt(address)!;
        int at = (int)(address - section.Address);
        return new ScannedSite(kind, siteKind, address, length, section.Name, (ulong)at, section.Bytes[at..Math.Min(at + length, section.Bytes.Length)]);
    }

    /// <summary>Why entries did not become sites, counted by reason in first-seen order.</summary>
    private sealed class Unresolved
    {
        private readonly List<(string Why, int Count)> _reasons = new();

        public void Add(string why)
        {
            int i = _reasons.FindIndex(r => r.Why == why);
            if (i < 0) _reasons.Add((why, 1));
            else _reasons[i] = (why, _reasons[i].Count + 1);
        }

        public IReadOnlyList<string> Lines => _reasons.Select(r => $"{r.Count} {(r.Count == 1 ? "entry" : "entries")}: {r.Why}").ToArray();
    }
}
