using System.Diagnostics;

namespace Conformance.Tests.Support;

/// <summary>Runs the command line as a user does: a separate process; its exit code and output.</summary>
public static class CliProcess
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "Conformance.Cli.dll");

    public static (int Exit, string Out, string Err) Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    /// <summary>The same, with these environment variables set for the process (and the worker processes it starts).</summary>
    public static (int Exit, string Out, string Err) Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Start(start, environment);
    }

    /// <summary>
    /// Runs a line the suite printed, as a user pastes it into a POSIX shell: <paramref name="arguments"/>
    /// are what follows the command line's name (<c>replay TOKEN --plugin PATH</c>), quoting and all.
    /// </summary>
    public static (int Exit, string Out, string Err) RunPasted(string arguments)
    {
        var start = new ProcessStartInfo("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec dotnet '{Cli.Replace("'", "'\\''", StringComparison.Ordinal)}' {arguments}");
        return Start(start);
    }

    /// <param name="start">The process.</param>
    /// <param name="environment">Variables to set after the defaults below; an empty value removes the variable (<c>NO_COLOR</c>, <c>CI</c>).</param>
    private static (int Exit, string Out, string Err) Start(ProcessStartInfo start, IReadOnlyDictionary<string, string>? environment = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["NO_COLOR"] = "1";
        // No failure database unless a test asks for one (--failure-db): a run must not depend on what an earlier one stored.
        start.Environment[Conformance.Generators.Campaigns.FailureDatabase.Variable] = "off";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            if (value.Length == 0) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
