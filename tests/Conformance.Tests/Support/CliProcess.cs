using System.Diagnostics;

namespace Conformance.Tests.Support;

/// <summary>Runs the command line as a user does: a separate process; its exit code and output.</summary>
public static class CliProcess
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Conformance.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        // No failure database unless a test asks for one (--failure-db): a run must not depend on what an earlier one stored.
        start.Environment[Conformance.Generators.Campaigns.FailureDatabase.Variable] = "off";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
