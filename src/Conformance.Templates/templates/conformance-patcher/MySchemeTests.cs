using Conformance.Checking;
using Conformance.Patching;
using Conformance.Testing;
using FsCheck;
using FsCheck.Xunit;

namespace MyScheme;

/// <summary>
/// The conformance suite on your scheme: the matrix of every fetch model on the patcher and on
/// its broken variant, and a property over the suite's generated cases. A failure prints the
/// shrunk case, a replay token (CONFORMANCE_REPLAY=...) and its timeline.
/// </summary>
public class MySchemeTests
{
    [Fact]
    public void My_scheme_conforms_under_every_fetch_model() =>
        PatcherAssert.Conforms<MySchemePatcher>();

    // Every fetch model where the variant declares it fails (all but atomic): red the day the suite stops catching it.
    [Fact]
    public void The_broken_variant_is_caught_where_it_declares_it_fails() =>
        PatcherAssert.Caught<MySchemeWithoutSync2Patcher>();

    // FsCheck's own [Property]: the suite's scenarios as an Arbitrary; Replay = "(seed,gamma,size)" replays one.
    [Property(Arbitrary = [typeof(PatchCases<MySchemePatcher>)], MaxTest = 40)]
    public Property Every_generated_case_conforms_under_block16(PatchCase c) =>
        PatchProperty.Conforms<MySchemePatcher>(c, "block16");

    [Fact]
    public void The_suite_finds_both_patchers_in_this_assembly()
    {
        var found = PatcherRegistry.Discover(typeof(MySchemePatcher).Assembly, isPlugin: true).Select(p => p.Name);
        Assert.Equal(["my-scheme", "my-scheme-without-sync2"], found);
    }
}
