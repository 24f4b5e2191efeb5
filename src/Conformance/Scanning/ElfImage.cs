using LibObjectFile.Diagnostics;
using LibObjectFile.Elf;

namespace Conformance.Scanning;

/// <summary>A file <c>scan</c> cannot read: not ELF, truncated, another architecture. The message names the reason; the caller adds the file.</summary>
public sealed class ScanException(string message) : Exception(message);

/// <summary>One section of an <see cref="ElfImage"/>: its name, where it is, its bytes.</summary>
public sealed record ElfSectionView(int Index, string Name, ulong Address, ulong Alignment, bool Executable, byte[] Bytes)
{
    public ulong End => Address + (ulong)Bytes.Length;
    public bool Contains(ulong address) => address >= Address && address < End;
}

/// <summary>A relocation of a relocatable file: <see cref="Target"/> is the address its symbol plus addend stands for (<c>S + A</c>), null when the symbol is undefined.</summary>
public sealed record ElfRelocationView(ulong Offset, string Type, long Addend, ulong? Target);

/// <summary>
/// An x86-64 ELF file read with LibObjectFile (spec/scan.md says why that library): its sections
/// with their bytes, its symbols and, for a relocatable file (<c>.o</c>, <c>.ko</c>), its
/// relocations. A relocatable file's sections all have address 0; each is given a synthetic
/// address here, page-aligned and one after the other, so that every byte has one address and a
/// site's line offset is its offset in the section (as if the section were loaded on a page
/// boundary; a module loader aligns it only to its <c>sh_addralign</c>, which
/// <see cref="ElfSectionView.Alignment"/> keeps).
/// </summary>
public sealed class ElfImage
{
    private readonly Dictionary<string, ulong> _symbols;
    private readonly Dictionary<int, Dictionary<ulong, ElfRelocationView>> _relocations;

    private ElfImage(string fileType, bool relocatable, IReadOnlyList<ElfSectionView> sections, Dictionary<string, ulong> symbols,
        Dictionary<int, Dictionary<ulong, ElfRelocationView>> relocations)
    {
        FileType = fileType;
        Relocatable = relocatable;
        Sections = sections;
        _symbols = symbols;
        _relocations = relocations;
    }

    /// <summary>"executable", "shared object", "relocatable" (an object file or kernel module), or "core".</summary>
    public string FileType { get; }

    /// <summary>An object file or kernel module: table entries are relocations, not resolved values.</summary>
    public bool Relocatable { get; }

    /// <summary>Sections with content (not NOBITS), in section-header order.</summary>
    public IReadOnlyList<ElfSectionView> Sections { get; }

    public IEnumerable<ElfSectionView> CodeSections => Sections.Where(s => s.Executable);

    public ElfSectionView? Section(string name) => Sections.FirstOrDefault(s => s.Name == name);

    public ElfSectionView? SectionAt(ulong address) => Sections.FirstOrDefault(s => s.Contains(address));

    public ElfSectionView? CodeAt(ulong address) => Sections.FirstOrDefault(s => s.Executable && s.Contains(address));

    /// <summary>The value of a defined symbol of the static symbol table (vmlinux's <c>__start_mcount_loc</c>), or null.</summary>
    public ulong? Symbol(string name) => _symbols.TryGetValue(name, out ulong v) ? v : null;

    /// <summary>The relocation at <paramref name="offset"/> of <paramref name="section"/> (a relocatable file), or null.</summary>
    public ElfRelocationView? RelocationAt(ElfSectionView section, ulong offset) =>
        _relocations.TryGetValue(section.Index, out var table) && table.TryGetValue(offset, out var r) ? r : null;

    /// <summary>Up to <paramref name="count"/> bytes at <paramref name="address"/>, inside one section; fewer at its end, none outside.</summary>
    public ReadOnlySpan<byte> Read(ulong address, int count)
    {
        if (SectionAt(address) is not { } s) return [];
        int at = (int)(address - s.Address);
        return s.Bytes.AsSpan(at, Math.Min(count, s.Bytes.Length - at));
    }

    /// <summary>Reads an x86-64 ELF file; anything else throws a <see cref="ScanException"/> saying why.</summary>
    public static ElfImage Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    public static ElfImage Read(Stream stream)
    {
        var ident = new byte[20];
        int got = stream.ReadAtLeast(ident, ident.Length, throwOnEndOfStream: false);
        if (got < 4 || ident[0] != 0x7f || ident[1] != (byte)'E' || ident[2] != (byte)'L' || ident[3] != (byte)'F')
            throw new ScanException("not an ELF file (no \\x7fELF magic)");
        if (got < ident.Length) throw new ScanException($"truncated ELF: {got} bytes, shorter than its header");
        if (ident[4] != 2) throw new ScanException("a 32-bit ELF (ELFCLASS32); scan reads x86-64 (ELFCLASS64) files");
        if (ident[5] != 1) throw new ScanException("a big-endian ELF; scan reads x86-64 (little-endian) files");
        ushort machine = BitConverter.ToUInt16(ident, 18);
        if (machine != 62) throw new ScanException($"an ELF for {MachineName(machine)} (e_machine {machine}); scan reads x86-64 (EM_X86_64, 62) files");
        stream.Position = 0;

        ElfFile? elf;
        DiagnosticBag? diagnostics;
        bool ok;
        // Whether the file is shorter than its own header says: decided from the header, before the
        // reader's own error, whose wording (and whether it throws or reports) depends on where the
        // cut falls.
        string? shortBy = ShorterThanHeaderSays(stream);
        if (shortBy is not null) throw new ScanException($"truncated ELF ({shortBy})");
        stream.Position = 0;
        try { ok = ElfFile.TryRead(stream, out elf, out diagnostics); }
        catch (Exception e) when (e is not OutOfMemoryException) { throw new ScanException($"malformed ELF ({e.Message})"); }
        if (!ok || elf is null)
        {
            var errors = diagnostics?.Messages.Where(m => m.Kind == DiagnosticKind.Error).Select(m => m.Message).ToArray() ?? [];
            string why = errors.Length == 0 ? "unreadable" : errors[0];
            throw new ScanException(why.Contains("Not enough data", StringComparison.OrdinalIgnoreCase) || why.Contains("Unable to read", StringComparison.OrdinalIgnoreCase)
                ? $"truncated ELF ({why})"
                : $"malformed ELF ({why})");
        }
        return From(elf);
    }

    /// <summary>
    /// Why the file is shorter than its ELF64 header says (the header itself, the program header
    /// table, the section header table), or null when it is long enough for them.
    /// </summary>
    private static string? ShorterThanHeaderSays(Stream stream)
    {
        const int HeaderSize = 64;
        long length = stream.Length;
        if (length < HeaderSize) return $"{length} bytes, shorter than the 64-byte ELF64 header";
        var h = new byte[HeaderSize];
        stream.Position = 0;
        stream.ReadExactly(h);
        ulong phoff = BitConverter.ToUInt64(h, 0x20), shoff = BitConverter.ToUInt64(h, 0x28);
        ulong phentsize = BitConverter.ToUInt16(h, 0x36), phnum = BitConverter.ToUInt16(h, 0x38);
        ulong shentsize = BitConverter.ToUInt16(h, 0x3a), shnum = BitConverter.ToUInt16(h, 0x3c);
        if (phnum > 0 && phoff + phentsize * phnum > (ulong)length)
            return $"{length} bytes, but its program headers end at byte {phoff + phentsize * phnum}";
        if (shnum > 0 && shoff + shentsize * shnum > (ulong)length)
            return $"{length} bytes, but its section headers end at byte {shoff + shentsize * shnum}";
        return null;
    }

    private static ElfImage From(ElfFile elf)
    {
        bool relocatable = elf.FileType == ElfFileType.Relocatable;
        string type = elf.FileType == ElfFileType.Relocatable ? "relocatable"
            : elf.FileType == ElfFileType.Executable ? "executable"
            : elf.FileType == ElfFileType.Dynamic ? "shared object"
            : elf.FileType.ToString().ToLowerInvariant();

        var sections = new List<ElfSectionView>();
        var bases = new Dictionary<ElfSection, ulong>();
        ulong next = 0x10_0000;   // synthetic addresses for a relocatable file start here, clear of 0
        foreach (var s in elf.Sections)
        {
            if (s is not ElfStreamSection stream || s.Type == ElfSectionType.NoBits) continue;
            ulong address = s.VirtualAddress;
            if (relocatable && s.Flags.HasFlag(ElfSectionFlags.Alloc))
            {
                address = next;
                next = (next + Math.Max(s.Size, 1) + 0xfff) & ~0xfffUL;
            }
            bases[s] = address;
            var bytes = new byte[stream.Stream.Length];
            stream.Stream.Position = 0;
            stream.Stream.ReadExactly(bytes);
            sections.Add(new ElfSectionView((int)s.SectionIndex, s.Name.Value ?? "", address, s.VirtualAddressAlignment,
                s.Flags.HasFlag(ElfSectionFlags.Executable) && s.Flags.HasFlag(ElfSectionFlags.Alloc), bytes));
        }

        var symbols = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var tables = elf.Sections.OfType<ElfSymbolTable>().ToArray();
        foreach (var table in tables.Where(t => t.Type == ElfSectionType.SymbolTable))
            foreach (var y in table.Entries)
                if (y.Name.Value is { Length: > 0 } name && y.SectionLink.Section is { } at && !symbols.ContainsKey(name))
                    symbols[name] = relocatable ? (bases.TryGetValue(at, out ulong b) ? b : 0) + y.Value : y.Value;

        var relocations = new Dictionary<int, Dictionary<ulong, ElfRelocationView>>();
        if (relocatable)
            foreach (var r in elf.Sections.OfType<ElfRelocationTable>())
            {
                if (r.Info.Section is not { } target || r.Link.Section is not ElfSymbolTable symtab) continue;
                var byOffset = new Dictionary<ulong, ElfRelocationView>();
                foreach (var e in r.Entries)
                {
                    ulong? resolved = null;
                    if (e.SymbolIndex < symtab.Entries.Count && symtab.Entries[(int)e.SymbolIndex].SectionLink.Section is { } symbolSection
                        && bases.TryGetValue(symbolSection, out ulong b))
                        resolved = b + symtab.Entries[(int)e.SymbolIndex].Value + (ulong)e.Addend;
                    byOffset[e.Offset] = new ElfRelocationView(e.Offset, e.Type.Name ?? e.Type.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Addend, resolved);
                }
                relocations[(int)target.SectionIndex] = byOffset;
            }
        return new ElfImage(type, relocatable, sections, symbols, relocations);
    }

    private static string MachineName(ushort machine) => machine switch
    {
        3 => "i386",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "PowerPC64",
        22 => "s390",
        40 => "ARM",
        43 => "SPARC v9",
        183 => "AArch64",
        243 => "RISC-V",
        258 => "LoongArch",
        _ => "another architecture",
    };
}
