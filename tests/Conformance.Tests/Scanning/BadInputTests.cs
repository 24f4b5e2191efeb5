using Conformance.Scanning;

namespace Conformance.Tests.Scanning;

/// <summary>Files scan cannot read: each gets an error that says why, as a <see cref="ScanException"/>.</summary>
public class BadInputTests
{
    private static string Reason(string path)
    {
        try { return Assert.Throws<ScanException>(() => BinaryScan.Of(path)).Message; }
        finally { if (path.StartsWith(Path.GetTempPath(), StringComparison.Ordinal)) File.Delete(path); }
    }

    [Fact]
    public void A_file_that_is_not_ELF() =>
        Assert.Contains("not an ELF file", Reason(ScanData.Altered(Path.Combine(ScanData.Dir, "linux-tables.s"), _ => { })));

    [Theory]
    [InlineData(10)]
    [InlineData(40)]
    [InlineData(1000)]
    [InlineData(2000)]
    public void A_truncated_ELF(int keep) =>
        Assert.Contains("truncated ELF", Reason(ScanData.Altered(ScanData.Object, _ => { }, keep)));

    [Fact]
    public void A_truncated_runtime_library() =>
        Assert.Contains("truncated ELF", Reason(ScanData.Altered(ScanData.Runtime("libcoreclr.so"), _ => { }, 300_000)));

    [Fact]
    public void An_ELF_for_another_architecture() =>
        Assert.Contains("AArch64", Reason(ScanData.Altered(ScanData.Object, b => { b[18] = 183; b[19] = 0; })));   // e_machine = EM_AARCH64

    [Fact]
    public void A_32_bit_ELF() =>
        Assert.Contains("32-bit", Reason(ScanData.Altered(ScanData.Object, b => b[4] = 1)));   // EI_CLASS = ELFCLASS32

    [Fact]
    public void An_ELF_without_section_headers() =>
        Assert.Contains("no executable section", Reason(ScanData.Altered(ScanData.Vmlinux, b =>
        {
            // e_shoff, e_shnum, e_shstrndx = 0: a file stripped of its section headers.
            Array.Clear(b, 0x28, 8);
            Array.Clear(b, 0x3c, 4);
        })));
}
