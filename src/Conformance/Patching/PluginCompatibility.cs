using System.Reflection;

namespace Conformance.Patching;

/// <summary>
/// A plug-in is built against one version of the suite's library; loaded into another, its patchers
/// may bind to members that moved, or be checked by rules they were not written for. The version it
/// references must be the version running, or the load is refused with the two versions named.
/// </summary>
public static class PluginCompatibility
{
    /// <summary>The version of the suite's library that is running.</summary>
    public static Version Suite { get; } = typeof(IPatcher).Assembly.GetName().Version ?? new Version(0, 0);

    /// <summary>Why <paramref name="plugin"/> cannot run with this suite, or null when it can.</summary>
    public static string? Problem(Assembly plugin, string path)
    {
        var reference = plugin.GetReferencedAssemblies().FirstOrDefault(a => a.Name == typeof(IPatcher).Assembly.GetName().Name);
        return Problem(path, reference?.Version, Suite);
    }

    /// <summary>The rule: no reference (nothing to compare), or the same major.minor.build, is fine.</summary>
    public static string? Problem(string path, Version? referenced, Version suite)
    {
        if (referenced is null || (referenced.Major, referenced.Minor, referenced.Build) == (suite.Major, suite.Minor, suite.Build)) return null;
        string built = $"{referenced.Major}.{referenced.Minor}.{referenced.Build}", running = $"{suite.Major}.{suite.Minor}.{suite.Build}";
        return $"--plugin {path}: built against Conformance {built}, but this suite is {running}: " +
               $"rebuild it against Conformance {running}, or run the conformance tool of version {built}";
    }
}
