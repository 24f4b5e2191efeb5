using System.Reflection;
using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// A plug-in assembly's patchers read in a worker process (the command line never runs a
/// plug-in's code itself): each type's constructor and declared members run there, behind the
/// guard. A type that hangs or crashes its worker is a fault, and a fresh worker goes on from the
/// type after it, so one bad class does not lose the good ones beside it.
/// </summary>
public static class RemoteCatalog
{
    /// <summary>The patchers of <paramref name="assembly"/> (loaded here for reflection only) and a fault for each type that did not load.</summary>
    public static IReadOnlyList<(PatcherInfo? Patcher, PluginFault? Fault)> Describe(Assembly assembly, PluginLimits limits)
    {
        var types = PatcherRegistry.PatcherTypes(assembly);
        var described = new (PatcherInfo? Patcher, PluginFault? Fault)[types.Count];
        int from = 0;
        while (from < types.Count)
        {
            int current = from;
            var outcome = WorkerProcess.Run(new WorkerRequest(WorkerRequest.Describe) { Assembly = assembly.Location, From = from },
                PluginOrigin.Of(types[from]), null, limits, line =>
                {
                    if (line.Code is not { } i || i < 0 || i >= types.Count) return false;
                    current = line.Kind == WorkerLine.Begin ? i : i + 1;   // the type it is reading, or the next one
                    if (line.Kind == WorkerLine.Patcher)
                    {
                        var d = line.ValueAs<PatcherDescription>();
                        described[i] = (new PatcherInfo(d.Name, d.Description, d.Source, d.Expectations, types[i], IsPlugin: true) { Origin = PluginOrigin.Of(types[i]) }, null);
                    }
                    else if (line.Kind == WorkerLine.Fault) described[i] = (null, line.PluginFault);
                    return line.Kind is WorkerLine.Begin or WorkerLine.Patcher or WorkerLine.Fault;
                });
            if (outcome.Succeeded || current >= types.Count) break;
            // The worker died or was stopped while it read type `current`: that type is the fault.
            var origin = PluginOrigin.Of(types[current]);
            described[current] = (null, outcome.Fault is { } f
                ? f with { Origin = origin }
                : new PluginFault(origin, null, PluginMember.None, 0, $"could not be read: {outcome.Failure}"));
            from = current + 1;
        }
        return described;
    }
}
