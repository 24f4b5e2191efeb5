using Conformance.Patching;
using Conformance.Patching.Catalog;
using Conformance.Scanning;
using Iced.Intel;

namespace Conformance.Tests.Scanning;

/// <summary>The runtime's own libcoreclr.so and libclrjit.so, which every machine with the .NET SDK has: real compiler output.</summary>
public class RuntimeLibraryScanTests
{
    public static TheoryData<string> Libraries => new() { "libcoreclr.so", "libclrjit.so" };

    [Theory]
    [MemberData(nameof(Libraries))]
    public void Every_site_the_sweep_reports_is_an_e8_or_e9_rel32_into_code(string library)
    {
        var image = ElfImage.Read(ScanData.Runtime(library));
        var scan = ScanData.Scan(ScanData.Runtime(library));
        Assert.Equal("shared object", scan.FileType);
        Assert.True(scan.Sites.Count > 10_000, $"{library}: only {scan.Sites.Count} sites");
        Assert.Empty(scan.Tables);
        foreach (var s in scan.Sites)
        {
            var bytes = image.Read(s.Address, 15).ToArray();
            Assert.Equal(s.Bytes, bytes[..s.Length]);
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), s.Address);
            decoder.Decode(out var i);
            Assert.True(i.Code is Code.Call_rel32_64 or Code.Jmp_rel32_64, $"{library} 0x{s.Address:x}: {i}");
            Assert.Equal(s.Length, i.Length);
            Assert.NotNull(image.CodeAt(i.NearBranch64));
            Assert.Equal(s.Kind == ScanKind.PrefixedRel32 ? null : i.Code == Code.Call_rel32_64 ? (s.Length == 6 ? SiteKind.CsCall : SiteKind.Call) : SiteKind.Jmp, s.SiteKind);
        }
    }

    /// <summary>
    /// Compiled code puts call sites at every line offset about equally often (functions are aligned,
    /// the code inside them is not), so a 5-byte site straddles an 8-byte word about 4 times in 8, a
    /// 16-byte block 4 in 16, and so on: the shares the issue measured (50%, 24%, 6%). A class
    /// function that got a boundary wrong would be far off.
    /// </summary>
    [Theory]
    [MemberData(nameof(Libraries))]
    public void The_straddling_shares_are_those_of_uniform_line_offsets(string library)
    {
        var sites = ScanData.Scan(ScanData.Runtime(library)).Sites.Where(s => s.Length == 5).ToArray();
        foreach (var (unit, share) in new[] { (8, 0.5), (16, 0.25), (32, 0.125), (64, 0.0625) })
        {
            double measured = (double)sites.Count(s => s.Class.Straddles(unit)) / sites.Length;
            Assert.InRange(measured, share - 0.02, share + 0.02);
        }
    }

    /// <summary>aligned-rel32's own Accepts, called for every scanned call site, declines exactly those whose rel32 crosses a 64-byte line.</summary>
    [Fact]
    public void Aligned_rel32_falls_back_to_its_trampoline_exactly_where_the_rel32_crosses_a_line()
    {
        var scan = ScanData.Scan(ScanData.Runtime("libcoreclr.so"));
        var fit = PatcherFit.Of("aligned-rel32", new AlignedRel32(), scan.Sites);
        var calls = scan.Sites.Where(s => s.SiteKind == SiteKind.Call).ToArray();
        int crossing = calls.Count(s => (s.Address + 1) / 64 != (s.Address + 4) / 64);
        Assert.True(crossing > 100);
        Assert.Equal(crossing, fit.Fallbacks.Single(f => f.Reason == AlignedRel32.CrossesLine).Sites);
        Assert.Equal(calls.Length - crossing, fit.Accepted);
        Assert.Equal(scan.Sites.Count(s => s.SiteKind is not null), fit.Sites);
        Assert.Equal(fit.Sites, fit.Accepted + fit.Fallbacks.Sum(f => f.Sites));
        Assert.Equal(fit.Accepted, fit.ByClass.Sum(c => c.Accepted));
    }

    [Fact]
    public void Atomic_8byte_accepts_exactly_the_word_aligned_sites()
    {
        var scan = ScanData.Scan(ScanData.Runtime("libclrjit.so"));
        var fit = PatcherFit.Of("atomic-8byte", new Atomic8Byte(), scan.Sites);
        Assert.Equal(scan.Sites.Count(s => s.SiteKind is not null && s.Address % 8 == 0), fit.Accepted);
    }
}
