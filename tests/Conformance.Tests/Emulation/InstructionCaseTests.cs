using Conformance.Tests.Support;

namespace Conformance.Tests.Emulation;

/// <summary>
/// The hand-worked instruction cases of <c>Data/Instructions/*.txt</c>: one theory row per case
/// line, named <c>file:line</c>. Expected values come from the SDM, worked out by hand.
/// </summary>
public class InstructionCaseTests
{
    /// <summary>One row per case line; parsing happens in the test, so a malformed line fails its own row.</summary>
    public static IEnumerable<TheoryDataRow<string, int>> Cases() =>
        InstructionCase.Enumerate().Select(c => new TheoryDataRow<string, int>(c.File, c.Line) { TestDisplayName = $"{c.File}:{c.Line}" });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case(string file, int line)
    {
        var c = InstructionCase.Load(file, line);
        var mismatches = InstructionCaseRunner.Run(c);
        if (mismatches.Count > 0)
            Assert.Fail($"{c.Name}: {string.Join(" ", c.Bytes.Select(b => b.ToString("x2")))} ({InstructionCaseRunner.Disassemble(c.Bytes)})\n" +
                        $"  case: {c.Text.Trim()}\n  " + string.Join("\n  ", mismatches));
    }

    [Fact]
    public void The_data_files_hold_the_cases()
    {
        var files = InstructionCase.Enumerate().GroupBy(c => c.File).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(files.Values.Sum() >= 250, $"only {files.Values.Sum()} cases in {InstructionCase.DataDirectory}");
    }

    [Theory]
    [InlineData("48 01 d8 | rax=1 rbz=2 | rax=3", "rbz=2")]
    [InlineData("48 01 dg | | rax=3", "dg")]
    [InlineData("48 01 d8 | rax=0x12q | rax=3", "rax=0x12q")]
    [InlineData("48 01 d8 | | flags=CF,XF", "flags=CF,XF")]
    [InlineData("48 01 d8 | | fault=Oops", "fault=Oops")]
    [InlineData("48 01 d8 | | mem8[0x600000]=0x100", "mem8[0x600000]=0x100")]
    [InlineData("48 01 d8 | | mem64[0x500000]=1", "mem64[0x500000]=1")]
    [InlineData("48 01 d8 | rax=1 rax=2 | rax=3", "rax=2")]
    [InlineData("48 01 d8 | steps=0 | rax=3", "steps=0")]
    public void A_malformed_line_is_rejected_naming_file_line_and_token(string text, string token)
    {
        var e = Assert.Throws<FormatException>(() => InstructionCase.Parse("bad.txt", 7, text));
        Assert.Contains("bad.txt:7", e.Message);
        Assert.Contains($"'{token}'", e.Message);
    }

    [Fact]
    public void A_line_without_three_fields_is_rejected()
    {
        var e = Assert.Throws<FormatException>(() => InstructionCase.Parse("bad.txt", 3, "48 01 d8 | rax=1"));
        Assert.Contains("bad.txt:3", e.Message);
    }

    [Fact]
    public void A_well_formed_line_parses()
    {
        var c = InstructionCase.Parse("ok.txt", 1, "48 01 d8 | rax=0xffff_ffff_ffff_ffff rbx=1 flags= mem16[0x600010]=0xbeef | rax=0 rip=+3 flags=CF,PF,AF,ZF mem16[0x600010]=0xbeef");
        Assert.Equal(new byte[] { 0x48, 0x01, 0xd8 }, c.Bytes);
        Assert.Equal(ulong.MaxValue, c.Initial.Registers[Conformance.Emulation.Gpr.Rax]);
        Assert.Equal(Rig.Text + 3, c.Expected.Rip);
        Assert.Equal(new MemoryItem(0x600010, 2, 0xbeef), Assert.Single(c.Expected.Memory));
        Assert.Empty(InstructionCaseRunner.Run(c));
    }
}
