using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// <c>replay</c> and <c>explain</c> with plug-ins: the whole command runs in a worker process
/// (where the plug-ins load and run behind the guard) and its output and exit code come back
/// here unchanged. A plug-in that hangs, grows or crashes the worker is one line on stderr, exit 1.
/// </summary>
public static class CommandRelay
{
    /// <summary>Whether this command must run in a worker: it loads plug-ins and this process is not a worker.</summary>
    public static bool Needed(IReadOnlyCollection<string> plugins) => plugins.Count > 0 && !WorkerHost.Active;

    /// <summary>Runs this process's command line in a worker and returns its exit code.</summary>
    public static int Run(IReadOnlyList<string> plugins)
    {
        // Read here first (each type in a worker of its own if it must be), so that a type that hangs or
        // crashes when made is left out of the command's worker instead of taking it down.
        var faulty = Plugins.Load(plugins).Faults.Select(f => f.Origin.TypeName).ToArray();
        var origin = new PluginOrigin(Path.GetFullPath(plugins[0]), "(the patcher the command runs)");
        var request = new WorkerRequest(WorkerRequest.Command) { Args = Cli.Arguments.ToArray(), Skip = faulty };
        var outcome = WorkerProcess.Run(request, origin, null, PluginLimits.Current, line =>
        {
            switch (line.Kind)
            {
                case WorkerLine.Out: Terminal.Data.Write(line.Text); return true;   // standard output, even when a report has it (--json -)
                case WorkerLine.Err: Console.Error.Write(line.Text); return true;
                default: return false;
            }
        });
        if (outcome.Result is { Code: { } code }) return code;
        Console.Error.WriteLine($"conformance: {CellOutcome.PluginError}: {outcome.Fault?.Message ?? outcome.Failure}");
        return Cli.Failed;
    }
}
