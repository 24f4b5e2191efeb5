using Conformance.Checking.Exhaustive;
using Conformance.Checking.Tokens;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Tests.Support;

namespace Conformance.Tests.Tokens;

/// <summary>
/// Tokens that cannot lie (cf2, cx2): they read back as written, any change of one character or
/// swap of two is refused as damage (never replayed as another case), every field is held to what
/// the format and the machine allow, and older formats are refused with a message saying so.
/// </summary>
public class TokenFormatTests
{
    // The naive patcher's approved counterexample, and an exhaustive one of the same kind.
    private static readonly ReplayToken Matrix = new("naive-text-poke", "atomic", false, 4, 14477417553971232664, 5191143326141363285, 1);
    private static readonly ExhaustiveToken Exhaustive = new("naive-text-poke", "atomic", 2, 1, false,
        new Schedule([new(1, 6), new(0, 8), new(1, 1)], [], [0, 3]));

    [Fact]
    public void A_matrix_token_is_its_fields_and_a_checksum_and_reads_back_as_written()
    {
        string text = Matrix.ToString();
        Assert.Equal("cf2:naive-text-poke:atomic:-:4:14477417553971232664:5191143326141363285:1:" + TokenChecksum.Of(text[..text.LastIndexOf(':')]), text);
        Assert.Equal(Matrix, ReplayToken.Parse(text));
        Assert.Equal(Matrix, ReplayToken.Parse($"  {text}\n"));   // as pasted
        var pct = Matrix with { Strategy = "pct", Plugin = "/home/me/My Tests/bin/x:y.dll" };
        Assert.Equal(pct, ReplayToken.Parse(pct.ToString()));
        Assert.Contains(":pct:/home/me/My%20Tests/bin/x%3Ay.dll:", pct.ToString());   // one shell word, fields never split
        var plugin = Matrix with { Plugin = "tests/p.dll" };
        Assert.Contains(":1:uniform-random:tests/p.dll:", plugin.ToString());         // a later field writes out the default before it
    }

    [Fact]
    public void An_exhaustive_token_reads_back_as_written()
    {
        string text = Exhaustive.ToString();
        Assert.StartsWith("cx2:naive-text-poke:atomic:2:1:-:1x6.0x8.1x1:0.3:", text);
        var again = ExhaustiveToken.Parse(text);
        Assert.Equal(text, again.ToString());
        Assert.Equal(Exhaustive.Schedule.ToString(), again.Schedule.ToString());
        var plugin = Exhaustive with { Plugin = "ünïcode 100%.dll" };
        Assert.Equal("ünïcode 100%.dll", ExhaustiveToken.Parse(plugin.ToString()).Plugin);
        // The last optional field (the patching CPU runs the sites) writes out every default before it; without it, an older token.
        var shared = Exhaustive with { WriterRunsSites = true };
        Assert.EndsWith(":0.3:-:-:1:1:-:-:-:-:writer-runs-sites:" + TokenChecksum.Of(shared.ToString()[..shared.ToString().LastIndexOf(':')]), shared.ToString());
        Assert.True(ExhaustiveToken.Parse(shared.ToString()).WriterRunsSites);
        Assert.False(again.WriterRunsSites);
    }

    public static TheoryData<string> BothTokens => new() { Matrix.ToString(), Exhaustive.ToString(), (Matrix with { Plugin = "a/b.dll", Strategy = "pct" }).ToString(),
        (Exhaustive with { WriterRunsSites = true }).ToString() };

    /// <summary>The checksum's promise, tried exhaustively: no one-character change and no swap gives a token that reads.</summary>
    [Theory]
    [MemberData(nameof(BothTokens))]
    public void Every_changed_character_and_every_swap_is_refused(string token)
    {
        int tried = 0;
        for (int i = 0; i < token.Length; i++)
        {
            foreach (char c in "0123456789abcdefxz-:.%A")
            {
                if (c == token[i]) continue;
                Refused(token, token[..i] + c + token[(i + 1)..]);
                tried++;
            }
            Refused(token, token.Remove(i, 1));   // a character lost
            if (i + 1 < token.Length && token[i] != token[i + 1])
                Refused(token, token[..i] + token[i + 1] + token[i] + token[(i + 2)..]);
        }
        Assert.True(tried > 1000, $"{tried} changes tried");
    }

    private static void Refused(string original, string changed)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() =>
        {
            if (ExhaustiveToken.Looks(changed)) ExhaustiveToken.Parse(changed);
            else ReplayToken.Parse(changed);
        });
        // Damaged, or (a change in the version) not a token of this version: never silently another case.
        Assert.True(e.Message.StartsWith("token damaged: ", StringComparison.Ordinal) || e.Message.Contains("not a token of this suite") ||
                    e.Message.Contains(" is of format "), $"{changed} (from {original}): {e.Message}");
    }

    [Theory]
    [InlineData("cf1:naive-text-poke:atomic:-:4:14477417553971232664:5191143326141363285:1", "is of format cf1, from an earlier version of the suite; this version reads cf2")]
    [InlineData("cx1:naive-text-poke:atomic:2:1:-:1x6.0x8.1x1:0.3", "is of format cx1, from an earlier version of the suite; this version reads cx2")]
    [InlineData("cf3:naive-text-poke:atomic:-:4:1:1:1:00000000", "from a later version")]
    [InlineData("naive-text-poke", "is not a token of this suite (replay tokens start with 'cf2:')")]
    public void Another_version_is_refused_and_says_so(string token, string says)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() =>
        {
            if (ExhaustiveToken.Looks(token)) ExhaustiveToken.Parse(token);
            else ReplayToken.Parse(token);
        });
        Assert.Contains(says, e.Message);
    }

    [Theory]
    [InlineData("cf2:naive-text-poke:atomic:-:0:1:1:1", "the CPU count '0' is outside 1 to 8")]
    [InlineData("cf2:naive-text-poke:atomic:-:9:1:1:1", "the CPU count '9' is outside 1 to 8")]
    [InlineData("cf2:naive-text-poke:atomic:-:99:1:1:1", "the CPU count '99' is outside 1 to 8")]
    [InlineData("cf2:naive-text-poke:atomic:-:-1:1:1:1", "the CPU count '-1' is not a whole number")]
    [InlineData("cf2:naive-text-poke:atomic:-:4:18446744073709551616:1:1", "the seed '18446744073709551616' is not a whole number from 0 to 18446744073709551615")]
    [InlineData("cf2:naive-text-poke:atomic:-:4:1:2:1", "the gamma '2' is even")]
    [InlineData("cf2:naive-text-poke:atomic:-:4:1:1:51", "the size '51' is outside 0 to 50")]
    [InlineData("cf2:naive-text-poke:atomic:nmi?:4:1:1:1", "the NMI switch 'nmi?' is neither 'nmi' nor '-'")]
    [InlineData("cf2::atomic:-:4:1:1:1", "the patcher '' is empty")]
    [InlineData("cf2:a%zz:atomic:-:4:1:1:1", "the patcher 'a%zz' has a '%' not followed by two hex digits")]
    [InlineData("cf2:naive-text-poke:atomic:-:4:1:1", "it has 6 field(s) between the version and the checksum; a cf2 token has 7 to 11")]
    [InlineData("cx2:naive-text-poke:atomic:0:1:-:1x5:-", "the CPU count '0' is outside 1 to 8")]
    [InlineData("cx2:naive-text-poke:atomic:2:0:-:1x5:-", "the site count '0' is outside 1 to 8")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:2x5:-", "run #0 (2x5) is on cpu2, but the scenario has 2 CPU(s)")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1x0:-", "the runs '1x0' hold '1x0', whose length '0' is outside 1 to 100000")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1x2000000000:-", "whose length '2000000000' is outside 1 to 100000")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1x60000.0x60000:-", "the runs add up to 120,000 steps, more than an execution may take (100,000)")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1x5:99999999", "the fetch choices '99999999' hold '99999999', whose choice '99999999' is outside 0 to 100000")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1x5:0..1", "whose choice '' is not a whole number")]
    public void A_field_outside_what_the_format_allows_is_damage_even_with_a_good_checksum(string body, string says)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() =>
        {
            if (ExhaustiveToken.Looks(body)) ExhaustiveToken.Parse(SealedToken.Of(body));
            else ReplayToken.Parse(SealedToken.Of(body));
        });
        Assert.StartsWith("token damaged: ", e.Message);
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("cf2:naive-text-poke:no-such-model:-:4:1:1:1", "names fetch model 'no-such-model', which this suite does not have (known: atomic, block64")]
    [InlineData("cf2:naive-text-poke:atomic:-:4:1:1:1:no-such-strategy", "names schedule strategy 'no-such-strategy', which this suite does not have")]
    public void A_name_this_suite_does_not_have_is_said_as_it_is_not_as_damage(string body, string says)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ReplayToken.Parse(SealedToken.Of(body)));
        Assert.DoesNotContain("damaged", e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void The_checksum_is_crc32_over_the_text_before_it()
    {
        Assert.Equal("cbf43926", TokenChecksum.Of("123456789"));   // CRC-32's published check value
        Assert.True(TokenChecksum.IsWellFormed("0123abcd"));
        Assert.False(TokenChecksum.IsWellFormed("0123ABCD"));
        Assert.False(TokenChecksum.IsWellFormed("0123abc"));
    }

    [Theory]
    [InlineData("tests/bin/x.dll", "tests/bin/x.dll")]
    [InlineData("/abs/path/x.dll", "/abs/path/x.dll")]
    [InlineData("My Tests/x.dll", "'My Tests/x.dll'")]
    [InlineData("it's.dll", "'it'\\''s.dll'")]
    [InlineData("~/x.dll", "'~/x.dll'")]
    public void A_printed_path_is_one_shell_word(string path, string printed) => Assert.Equal(printed, TokenCommand.Quote(path));
}
