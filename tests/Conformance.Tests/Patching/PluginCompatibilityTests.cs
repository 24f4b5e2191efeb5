using Conformance.Patching;

namespace Conformance.Tests.Patching;

/// <summary>Issue 13: a plug-in built against another version of the suite is refused in one line naming both versions.</summary>
public class PluginCompatibilityTests
{
    [Fact]
    public void A_plugin_built_against_another_version_is_refused_with_both_versions()
    {
        var problem = PluginCompatibility.Problem("My.dll", new Version(0, 12, 0, 0), new Version(0, 13, 0, 0));
        Assert.Equal("--plugin My.dll: built against Conformance 0.12.0, but this suite is 0.13.0: rebuild it against Conformance 0.13.0, or run the conformance tool of version 0.12.0", problem);
        Assert.DoesNotContain("\n", problem!);
    }

    [Fact]
    public void The_same_version_or_no_reference_is_fine()
    {
        Assert.Null(PluginCompatibility.Problem("My.dll", new Version(0, 13, 0, 0), new Version(0, 13, 0, 0)));
        Assert.Null(PluginCompatibility.Problem("My.dll", null, new Version(0, 13, 0, 0)));
        // The suite's own test assembly, loaded as a plug-in, references the running library.
        Assert.Null(PluginCompatibility.Problem(typeof(PluginCompatibilityTests).Assembly, "tests.dll"));
    }

    [Fact]
    public void An_assembly_without_patchers_is_refused_in_one_line()
    {
        string iced = typeof(Iced.Intel.Decoder).Assembly.Location;
        var e = Assert.Throws<ArgumentException>(() => PatcherRegistry.LoadPlugin(iced));
        Assert.Equal($"--plugin {iced}: holds no public IPatcher with a parameterless constructor", e.Message);
    }
}
