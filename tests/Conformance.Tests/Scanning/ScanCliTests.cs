using System.Text.Json;
using Conformance.Tests.Support;

namespace Conformance.Tests.Scanning;

/// <summary><c>scan</c> as a user runs it.</summary>
public class ScanCliTests
{
    [Fact]
    public void Scan_of_libcoreclr_prints_the_distribution_and_the_fallback_table()
    {
        var (exit, output, error) = CliProcess.Run("scan", ScanData.Runtime("libcoreclr.so"));
        Assert.True(exit == 0, error);
        Assert.Contains("Sites by kind", output);
        Assert.Contains("| call-rel32", output);
        Assert.Contains("s64@2 (straddles a 64-byte line after byte 2)", output);
        Assert.Contains("| aligned-rel32", output);
        Assert.Contains("keeps calling the out-of-line trampoline", output);
    }

    [Fact]
    public void Bad_files_get_one_line_each_and_the_good_ones_are_still_reported()
    {
        string notElf = ScanData.Altered(Path.Combine(ScanData.Dir, "linux-tables.s"), _ => { });
        string truncated = ScanData.Altered(ScanData.Object, _ => { }, 1000);
        string arm = ScanData.Altered(ScanData.Object, b => { b[18] = 183; b[19] = 0; });
        string json = Path.GetTempFileName();
        try
        {
            var (exit, output, error) = CliProcess.Run("scan", ScanData.Object, notElf, truncated, arm, ScanData.Vmlinux, "--json", json);
            Assert.Equal(2, exit);
            Assert.Contains($"{ScanData.Object}: x86-64 relocatable", output);
            Assert.Contains($"{ScanData.Vmlinux}: x86-64 executable", output);
            var lines = error.Trim().Split('\n');
            Assert.Equal(4, lines.Length);
            Assert.Contains($"scan {notElf}: not an ELF file", lines[0]);
            Assert.Contains($"scan {truncated}: truncated ELF", lines[1]);
            Assert.Contains($"scan {arm}: an ELF for AArch64", lines[2]);
            Assert.Contains("3 of 5 file(s) could not be scanned", lines[3]);

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal("conformance-scan/1", doc.RootElement.GetProperty("format").GetString());
            Assert.Equal(2, doc.RootElement.GetProperty("files").GetArrayLength());
            Assert.Equal(3, doc.RootElement.GetProperty("errors").GetArrayLength());
            Assert.Equal(12, doc.RootElement.GetProperty("files")[0].GetProperty("sites").GetInt32());
        }
        finally
        {
            foreach (var f in new[] { notElf, truncated, arm, json }) File.Delete(f);
        }
    }

    /// <summary>The by-class report begins with the header every report has (spec/reports.md) and sums up its pairs.</summary>
    [Fact]
    public void Check_by_class_json_has_the_header_and_a_summary()
    {
        using var json = new TempFile();
        var (exit, _, error) = CliProcess.Run("check", "--layouts-from", ScanData.Object, "--by-class", "--patcher", "text-poke-bp", "--model", "atomic",
            "--runs", "3", "--emulator-runs", "0", "--json", json);
        Assert.True(exit == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(2, root.GetProperty("format").GetInt32());
        Assert.Equal("by-class", root.GetProperty("report").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("tool").GetProperty("version").GetString()));
        Assert.Equal(["text-poke-bp"], root.GetProperty("options").GetProperty("patchers").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(3, root.GetProperty("options").GetProperty("runs").GetInt32());
        var summary = root.GetProperty("summary");
        Assert.Equal(root.GetProperty("results").GetArrayLength(), summary.GetProperty("pairs").GetInt32());
        Assert.Equal(0, summary.GetProperty("disagreeing").GetInt32());
        Assert.Equal(exit, summary.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void The_same_files_give_the_same_json()
    {
        using var a = new TempFile();
        using var b = new TempFile();
        Assert.Equal(0, CliProcess.Run("scan", ScanData.Object, ScanData.Vmlinux, "--json", a).Exit);
        Assert.Equal(0, CliProcess.Run("scan", ScanData.Object, ScanData.Vmlinux, "--json", b).Exit);
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(b));
    }

    [Theory]
    [InlineData("check --layouts-from /no/such/scan.json", "--layouts-from /no/such/scan.json: no such file")]
    [InlineData("check --by-class", "--by-class needs --layouts-from")]
    [InlineData("check --exhaustive --layouts-from X", "--layouts-from has no meaning with --exhaustive")]
    [InlineData("check --layouts-from DATA/linux-tables.s", "not an ELF file")]
    [InlineData("replay TOKEN", "pass --layouts-from")]
    public void Bad_layouts_usage_is_one_line_and_exit_code_2(string args, string named)
    {
        string token = new Conformance.Generators.Campaigns.ReplayToken("text-poke-bp", "atomic", false, 4, 1, 3, 3) { Layouts = "0123456789abcdef" }.ToString();
        var (exit, _, error) = CliProcess.Run(args.Replace("DATA", ScanData.Dir).Replace("TOKEN", token).Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    /// <summary>The hand-made module's static call straddles a 16-byte block inside its line: aligned-rel32 tears it under block16, and the printed replay works when pasted.</summary>
    [Fact]
    public void Check_with_layouts_from_an_elf_finds_the_torn_rel32_and_prints_a_replay_that_needs_the_same_layouts()
    {
        var (exit, output, error) = CliProcess.Run("check", "--layouts-from", ScanData.Object, "--patcher", "aligned-rel32", "--model", "block16", "--runs", "40", "--emulator-runs", "0");
        Assert.True(exit == 0, error);
        var line = output.Split('\n').Single(l => l.Contains("| replay "));
        Assert.Contains("torn decode", line, StringComparison.Ordinal);
        var replay = line[(line.IndexOf("| replay ", StringComparison.Ordinal) + 9)..].Trim().Split(' ');
        Assert.Equal(["--layouts-from", ScanData.Object], replay[1..]);
        var (again, replayed, _) = CliProcess.Run(["replay", .. replay]);
        Assert.Equal(1, again);
        Assert.Contains("P1-old-new-or-trap", replayed);
    }
}
