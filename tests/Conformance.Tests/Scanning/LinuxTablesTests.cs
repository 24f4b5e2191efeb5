using System.Globalization;
using Conformance.Scanning;

namespace Conformance.Tests.Scanning;

/// <summary>The hand-made module and vmlinux (Data/Elf/linux-tables.s): every table read, every site found once, with its kind and class.</summary>
public class LinuxTablesTests
{
    private sealed record Expected(int Line, string Kind, string SiteKind, int Length, string Class, string Section, ulong Offset, ulong VmlinuxAddress, string VmlinuxKind);

    private static IReadOnlyList<Expected> Sites()
    {
        var lines = File.ReadAllLines(Path.Combine(ScanData.Dir, "linux-tables.sites"));
        var sites = new List<Expected>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#') || lines[i].Trim().Length == 0) continue;
            var f = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            sites.Add(new Expected(i + 1, f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4],
                Convert.ToUInt64(f[5], 16), Convert.ToUInt64(f[6], 16), f[7] == "=" ? f[0] : f[7]));
        }
        return sites;
    }

    [Fact]
    public void The_module_object_gives_exactly_the_listed_sites_through_its_relocations()
    {
        var scan = ScanData.Scan(ScanData.Object);
        Assert.True(scan.Relocatable);
        var expected = Sites();
        var found = scan.Sites.Select(s => $"{s.Kind.Name()} {s.SiteKind} {s.Length} {s.Class} {s.Section}+0x{s.SectionOffset:x}").ToArray();
        foreach (var e in expected)
            Assert.True(found.Contains($"{e.Kind} {e.SiteKind} {e.Length} {e.Class} {e.Section}+0x{e.Offset:x}"),
                $"linux-tables.sites:{e.Line}: {e.Kind} at {e.Section}+0x{e.Offset:x} not found; found: {string.Join(", ", found)}");
        Assert.Equal(expected.Count, scan.Sites.Count);
    }

    [Fact]
    public void The_linked_vmlinux_gives_the_same_sites_through_its_start_and_stop_symbols()
    {
        var scan = ScanData.Scan(ScanData.Vmlinux);
        Assert.False(scan.Relocatable);
        var expected = Sites();
        var found = scan.Sites.Select(s => $"{s.Kind.Name()} {s.SiteKind} {s.Length} {s.Class} 0x{s.Address:x}").ToArray();
        foreach (var e in expected)
            Assert.True(found.Contains($"{e.VmlinuxKind} {e.SiteKind} {e.Length} {e.Class} 0x{e.VmlinuxAddress:x}"),
                $"linux-tables.sites:{e.Line}: {e.VmlinuxKind} at 0x{e.VmlinuxAddress:x} not found; found: {string.Join(", ", found)}");
        Assert.Equal(expected.Count, scan.Sites.Count);
        Assert.All(scan.Tables, t => Assert.Contains("__", t.Where));   // found by the bounding symbols, not by section names
    }

    [Theory]
    [InlineData("linux-tables.o")]
    [InlineData("linux-tables.vmlinux")]
    public void Every_table_entry_becomes_a_site_and_data_decoded_as_a_call_is_rejected(string file)
    {
        var scan = ScanData.Scan(Path.Combine(ScanData.Dir, file));
        var tables = scan.Tables.ToDictionary(t => t.Table);
        Assert.Equal(file.EndsWith(".o") ? 2 : 3, tables["__mcount_loc"].Sites);
        Assert.Equal(2, tables[".static_call_sites"].Sites);
        Assert.Equal(2, tables["__jump_table"].Sites);
        Assert.Equal(2, tables[".static_call.text"].Sites);
        Assert.All(scan.Tables, t => Assert.Empty(t.Unresolved));
        Assert.All(scan.Tables, t => Assert.Equal(t.Entries, t.Sites));
        // The e8 after the ud2 reaches 2 GiB away, outside every code section.
        Assert.Equal(1, scan.Sweep.Rel32Rejected);
        Assert.DoesNotContain(scan.Sites, s => s.SectionOffset == 0x82);
    }

    /// <summary>The static call site is also an e8 the sweep decodes; it is counted once, as the table says.</summary>
    [Fact]
    public void A_site_the_table_names_is_reported_once_under_the_table_kind()
    {
        var scan = ScanData.Scan(ScanData.Object);
        Assert.Single(scan.Sites, s => s.SectionOffset == 0x0e && s.Section == ".text");
        Assert.Equal(ScanKind.StaticCall, scan.Sites.Single(s => s.SectionOffset == 0x0e && s.Section == ".text").Kind);
        Assert.Equal(0, scan.DuplicateTableSites);
    }
}
