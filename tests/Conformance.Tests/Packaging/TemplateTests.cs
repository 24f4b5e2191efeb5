using System.Text.Json;
using System.Xml.Linq;
using Conformance.Patching;

namespace Conformance.Tests.Packaging;

/// <summary>The template says what the packages are, and the example plug-in is exactly its output (issue 13, items 2 and 4).</summary>
public class TemplateTests
{
    private static string Output(params string[] parts) => Path.Combine([AppContext.BaseDirectory, .. parts]);

    [Theory]
    [InlineData("MySchemePatcher.cs", "MyRetargetPatcher.cs")]
    [InlineData("MySchemeWithoutSync2Patcher.cs", "MyRetargetWithoutSync2Patcher.cs")]
    [InlineData("MySchemeTests.cs", "MyRetargetTests.cs")]
    public void The_example_plugin_is_the_template_instantiated_as_MyRetarget(string template, string example)
    {
        // What `dotnet new conformance-patcher -n MyRetarget` writes: the name, and its kebab-case form.
        string expected = File.ReadAllText(Output("Template", template)).Replace("MyScheme", "MyRetarget").Replace("my-scheme", "my-retarget");
        Assert.Equal(expected, File.ReadAllText(Output("Example", example)));
    }

    [Fact]
    public void The_template_references_the_packages_of_this_version()
    {
        string version = XDocument.Load(Output("Packaging.props")).Descendants("Version").Single().Value;
        var project = XDocument.Load(Output("Template", "MyScheme.csproj"));
        var testing = project.Descendants("PackageReference").Single(p => (string?)p.Attribute("Include") == "Conformance.Testing");
        Assert.Equal(version, (string?)testing.Attribute("Version"));
        var running = PluginCompatibility.Suite;
        Assert.Equal(version, $"{running.Major}.{running.Minor}.{running.Build}");
    }

    [Fact]
    public void The_template_runs_on_the_testing_platform_and_names_its_feed()
    {
        using var global = JsonDocument.Parse(File.ReadAllText(Output("Template", "global.json")));
        Assert.Equal("Microsoft.Testing.Platform", global.RootElement.GetProperty("test").GetProperty("runner").GetString());
        using var template = JsonDocument.Parse(File.ReadAllText(Output("Template", ".template.config", "template.json")));
        Assert.Equal("conformance-patcher", template.RootElement.GetProperty("shortName").GetString());
        Assert.Contains("LOCAL_FEED_PATH", File.ReadAllText(Output("Template", "nuget.config")));
    }
}
