using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// A plug-in's part of <c>check --exhaustive</c>, run in a worker process: its scenario line and
/// its cells come back as they are done and are printed as a built-in's are. A fault of the
/// plug-in ends its part: the models it had not finished are cells with the error.
/// </summary>
public static class ExhaustivePlugin
{
    public static void Run(PatcherInfo p, ExhaustiveJob job, Action<string> header, Action<ExhaustiveCheck.CellResult> cell)
    {
        var origin = p.Origin ?? PluginOrigin.Of(p.Type);
        int done = 0;
        bool headed = false;
        var outcome = WorkerProcess.Run(new WorkerRequest(WorkerRequest.ExhaustivePatcher) { Assembly = origin.AssemblyPath, Type = origin.TypeName, Name = p.Name, Plugin = p.Plugin, Exhaustive = job },
            origin, p.Name, PluginLimits.Current, line =>
            {
                switch (line.Kind)
                {
                    case WorkerLine.Section:
                        headed = true;
                        header(line.Text ?? "");
                        return true;
                    case WorkerLine.Cell:
                        done++;
                        cell(line.ValueAs<ExhaustiveCheck.CellResult>());
                        return true;
                    default:
                        return false;
                }
            });
        if (outcome.Succeeded) return;
        string message = outcome.Fault?.Message ?? outcome.Failure!;
        if (!headed) header($"{p.Name}: {CellOutcome.PluginError}: {message}");
        // The cells not done: every row (NMI switch off, and on where the expectations name it) under every model, in order.
        var cells = ExhaustiveCheck.NmiRows(p.Expectations).SelectMany(nmi => job.Models.Select(model => (Row: ExhaustiveCheck.RowName(p.Name, nmi), Model: model)));
        foreach (var (row, model) in cells.Skip(done)) cell(ExhaustiveCheck.CellResult.Faulted(row, model, "(not explored: the plug-in failed)", message));
    }
}
