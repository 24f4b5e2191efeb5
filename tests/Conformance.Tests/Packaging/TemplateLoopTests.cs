using System.Diagnostics;
using System.Reflection;

namespace Conformance.Tests.Packaging;

/// <summary>
/// The user's loop, end to end (issue 13, item 8): pack the suite into a temporary feed, install the
/// template, instantiate it outside the repository, build it against the packed packages and the
/// registry only (a fresh package cache), and run its tests: the correct patcher passes and the
/// broken one is caught; pointed at the broken one, the assertion prints a shrunk case, a replay
/// token and a timeline, and replaying the token fails the same way. Slow (a minute or two), and
/// part of `dotnet test`, so of CI.
/// </summary>
public class TemplateLoopTests
{
    private static readonly string Root = typeof(TemplateLoopTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "conformance-loop-" + Guid.NewGuid().ToString("n")[..8]);

    [Fact]
    [Trait("speed", "slow")]
    public void Pack_instantiate_outside_the_repository_build_from_the_packages_and_test()
    {
        string temp = _temp;
        Directory.CreateDirectory(temp);
        try
        {
            string feed = Path.Combine(temp, "feed"), project = Path.Combine(temp, "LoopScheme");
            // The tests' own build is the one packed (Debug, already built): nothing is rebuilt under the running tests.
            Run(temp, "dotnet", "pack", Path.Combine(Root, "Conformance.sln"), "--no-build", "-c", "Debug", "-o", feed);
            string template = Directory.GetFiles(feed, "Conformance.Templates.*.nupkg").Single();
            Run(temp, "dotnet", "new", "install", template);
            Run(temp, "dotnet", "new", "conformance-patcher", "-n", "LoopScheme", "-o", project, "--feed", feed);
            Assert.False(File.Exists(Path.Combine(project, "..", "Directory.Build.props")), "the project must stand alone");

            var passing = Run(project, "dotnet", "test");
            Assert.Contains("failed: 0", passing);
            Assert.Contains("LoopScheme.dll", passing);

            // Point the conformance assertion at the broken variant: a failing, shrunk, replayable counterexample.
            string tests = Path.Combine(project, "LoopSchemeTests.cs");
            File.WriteAllText(tests, File.ReadAllText(tests).Replace("PatcherAssert.Conforms<LoopSchemePatcher>();", "PatcherAssert.Conforms<LoopSchemeWithoutSync2Patcher>(\"block16\");"));
            var failing = Run(project, expectFailure: true, "dotnet", "test", "--filter-method", "*conforms_under_every*");
            Assert.Contains("Shrunk case:", failing);
            Assert.Contains("P1-old-new-or-trap violated", failing);
            Assert.Contains("Why this violates P1-old-new-or-trap", failing);   // the timeline's explanation
            int at = failing.IndexOf("CONFORMANCE_REPLAY=cf2:loop-scheme-without-sync2:block16:", StringComparison.Ordinal);
            Assert.True(at >= 0, failing);
            string token = failing[(at + "CONFORMANCE_REPLAY=".Length)..].Split(' ')[0];
            var replayed = Run(project, expectFailure: true, new Dictionary<string, string> { ["CONFORMANCE_REPLAY"] = token },
                "dotnet", "test", "--no-build", "--filter-method", "*conforms_under_every*");   // nothing changed since the last build
            Assert.Contains("counterexample after 1 cases", replayed);
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }

    private string Run(string directory, params string[] command) => Run(directory, expectFailure: false, command);

    private string Run(string directory, bool expectFailure, params string[] command) => Run(directory, expectFailure, new Dictionary<string, string>(), command);

    /// <summary>
    /// Runs a command with its own dotnet home (templates installed there only), its own package cache
    /// (the packed feed and the registry, nothing of this machine's cache) and no failure database
    /// but the project's own.
    /// </summary>
    private string Run(string directory, bool expectFailure, Dictionary<string, string> environment, params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command[1..]) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_HOME"] = Path.Combine(_temp, "home");
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_temp, "packages");
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("CONFORMANCE_REPLAY");
        start.Environment.Remove("CONFORMANCE_RUNS");
        start.Environment.Remove("CONFORMANCE_SEED");
        start.Environment.Remove("CONFORMANCE_FAILURES");
        // The test host's own MSBuild settings must not leak into the user's build.
        foreach (var key in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "DOTNET_HOST_PATH" }) start.Environment.Remove(key);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        string output = stdout.Result + stderr.Result;
        if (expectFailure) Assert.True(p.ExitCode != 0, $"{string.Join(' ', command)} in {directory} should have failed:\n{output}");
        else Assert.True(p.ExitCode == 0, $"{string.Join(' ', command)} in {directory} exited {p.ExitCode}:\n{output}");
        return output;
    }
}
