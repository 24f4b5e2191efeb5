using Conformance.Checking;
using Conformance.Patching;

namespace Conformance.Tests.Checking;

/// <summary>The assumption a scheme rests on, from its verdicts (check) and from its declared expectations (list).</summary>
public class FetchAssumptionTests
{
    private static Dictionary<string, bool?> Verdicts(bool? architectural, bool? block16, bool? block32, bool? block64, bool? atomic) => new()
    {
        ["architectural"] = architectural, ["block16"] = block16, ["block32"] = block32, ["block64"] = block64, ["atomic"] = atomic,
    };

    [Theory]
    [InlineData(true, true, true, true, true, "nothing")]
    [InlineData(false, true, true, true, true, "block16")]
    [InlineData(false, false, true, true, true, "block32")]
    [InlineData(false, false, false, true, true, "block64")]
    [InlineData(false, false, false, false, true, "atomic")]
    [InlineData(false, false, false, false, false, "-")]
    [InlineData(true, true, false, true, true, "block64")]   // not monotone: it must pass under every stronger model too
    [InlineData(false, null, true, true, true, "?")]        // an open cell the answer depends on
    [InlineData(null, false, true, true, true, "block32")]  // an unknown weaker cell does not matter once a stronger one fails
    public void The_weakest_model_is_the_lowest_from_which_every_stronger_model_passes(bool? a, bool? b16, bool? b32, bool? b64, bool? at, string needs)
    {
        Assert.Equal(needs, FetchAssumption.Of(Verdicts(a, b16, b32, b64, at)).Needs);
    }

    [Fact]
    public void The_sentences_say_what_a_reviewer_asks()
    {
        Assert.Equal("needs nothing beyond the vendors' promise (passes under architectural)", FetchAssumption.Of(Verdicts(true, true, true, true, true)).Sentence);
        Assert.Equal("needs block64: fails under block32", FetchAssumption.Of(Verdicts(false, false, false, true, true)).Sentence);
        Assert.StartsWith("fails even under atomic", FetchAssumption.Of(Verdicts(false, false, false, false, false)).Sentence);
        // Only some models checked (check --model): said so.
        Assert.Equal("needs block32 or less (the weaker models were not checked)",
            FetchAssumption.Of(new Dictionary<string, bool?> { ["block32"] = true, ["block64"] = true, ["atomic"] = true }).Sentence);
    }

    [Theory]
    [InlineData("text-poke-bp", "nothing")]
    [InlineData("v8-jump-table", "block64")]
    [InlineData("aligned-rel32", "block64")]
    [InlineData("atomic-8byte", "block16")]
    [InlineData("naive-text-poke", "-")]
    [InlineData("cs-prefix", "?")]
    public void The_declared_assumption_reads_the_expectations(string patcher, string needs)
    {
        var p = PatcherRegistry.BuiltIn.Single(x => x.Name == patcher);
        Assert.Equal(needs, FetchAssumption.Declared(p.Expectations).Needs);
    }
}
