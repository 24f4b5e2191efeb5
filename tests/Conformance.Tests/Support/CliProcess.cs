using System.Diagnostics;

namespace Conformance.Tests.Support;

/// <summary>Runs the command line as a user does: a separate process; its exit code and output.</summary>
public static class CliProcess
{
    public static (int Exit, string Out, string Err) Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    /// <summary>The same, with these environment variables set for the process (and the worker processes it starts).</summary>
    public static (int Exit, string Out, string Err) Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Conformance.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
