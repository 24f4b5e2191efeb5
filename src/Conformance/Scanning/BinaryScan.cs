namespace Conformance.Scanning;

/// <summary>A code section as scanned: name, address, size, alignment.</summary>
public sealed record CodeSectionInfo(string Name, ulong Address, long Size, ulong Alignment);

/// <summary>
/// Everything <c>scan</c> learned from one file: its type, its code sections, the sweep's counts,
/// Linux's tables, and every site, in address order, each once. A site a table names is reported
/// under the table's kind, not again as a decoded call or jmp.
/// </summary>
public sealed record BinaryScan(string Path, string FileType, bool Relocatable, IReadOnlyList<CodeSectionInfo> CodeSections,
    SweepStats Sweep, IReadOnlyList<TableStats> Tables, IReadOnlyList<ScannedSite> Sites)
{
    /// <summary>Sites named by two tables (the first one read keeps it).</summary>
    public int DuplicateTableSites { get; init; }

    /// <summary>Scans one x86-64 ELF file; a file that is not one throws a <see cref="ScanException"/> saying why.</summary>
    public static BinaryScan Of(string path)
    {
        ElfImage image;
        try { image = ElfImage.Read(path); }
        catch (IOException e) { throw new ScanException($"cannot be read ({e.Message})"); }
        catch (UnauthorizedAccessException e) { throw new ScanException($"cannot be read ({e.Message})"); }
        return Of(path, image);
    }

    public static BinaryScan Of(string path, ElfImage image)
    {
        if (!image.CodeSections.Any()) throw new ScanException($"an ELF {image.FileType} with no executable section (stripped of its section headers?)");
        var (tableSites, tables) = LinuxTables.Read(image);
        var (swept, sweep) = CodeSweep.Run(image);
        var byAddress = new SortedDictionary<ulong, ScannedSite>();
        int duplicates = 0;
        foreach (var s in tableSites)
            if (!byAddress.TryAdd(s.Address, s)) duplicates++;
        foreach (var s in swept) byAddress.TryAdd(s.Address, s);
        var sections = image.CodeSections.Select(s => new CodeSectionInfo(s.Name, s.Address, s.Bytes.Length, s.Alignment)).ToArray();
        return new BinaryScan(path, image.FileType, image.Relocatable, sections, sweep, tables, byAddress.Values.ToArray()) { DuplicateTableSites = duplicates };
    }
}
