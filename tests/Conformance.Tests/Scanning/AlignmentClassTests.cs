using Conformance.Patching;

namespace Conformance.Tests.Scanning;

public class AlignmentClassTests
{
    /// <summary>Checked against the definition, unit by unit, for every line offset and every site length the suite has.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    public void The_class_says_which_units_a_site_straddles_and_how_many_bytes_lie_before_the_boundary(int length)
    {
        for (ulong a = 0x40_0000; a < 0x40_0000 + 64; a++)
        {
            var c = AlignmentClass.Of(a, length);
            ulong last = a + (ulong)length - 1;
            foreach (int unit in new[] { 8, 16, 32, 64 })
                Assert.True((a / (ulong)unit != last / (ulong)unit) == c.Straddles(unit), $"offset {a % 64}, length {length}, unit {unit}: class {c}");
            int largest = new[] { 64, 32, 16, 8 }.FirstOrDefault(u => a / (ulong)u != last / (ulong)u);
            Assert.Equal(largest, c.Boundary);
            Assert.Equal(largest == 0 ? 0 : (int)((a / (ulong)largest + 1) * (ulong)largest - a), c.SplitAfter);
            Assert.Equal(c, AlignmentClass.Of(a % 64 + 0x1_0000_0000, length));   // only the line offset matters
            Assert.Equal(c, AlignmentClass.Parse(c.ToString()));
        }
    }

    [Fact]
    public void Rostedts_split_is_s64_at_2_and_a_word_aligned_site_fits()
    {
        Assert.Equal("s64@2", AlignmentClass.Of(62, 5).ToString());
        Assert.Equal("straddles a 64-byte line after byte 2", AlignmentClass.Of(62, 5).Describe());
        Assert.Equal("fits8", AlignmentClass.Of(8, 5).ToString());
        Assert.Equal("s16@3", AlignmentClass.Of(13, 5).ToString());
    }

    [Theory]
    [InlineData("s12@1")]
    [InlineData("s16@0")]
    [InlineData("s16@8")]
    [InlineData("fits16")]
    [InlineData("")]
    public void A_malformed_class_name_is_refused(string text) =>
        Assert.Throws<ArgumentException>(() => AlignmentClass.Parse(text));
}
