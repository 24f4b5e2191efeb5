using System.CommandLine;
using Conformance.Cli.Worker;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>The patchers a command runs: the built-in catalog, the plug-ins that load, and a fault for each that does not.</summary>
public sealed record PluginCatalog(IReadOnlyList<PatcherInfo> Patchers, IReadOnlyList<PluginFault> Faults);

/// <summary>
/// The <c>--plugin PATH</c> option: patchers from a user's compiled assembly join the built-in
/// catalog. Their code runs in worker processes (<see cref="RemoteCatalog"/>), never in the
/// command line's own; in a worker, here.
/// </summary>
public static class Plugins
{
    public static Option<string[]> Option() => new("--plugin")
    {
        Description = "A compiled assembly whose public IPatcher classes join the catalog (repeatable); their code runs in a worker process.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// The built-in patchers followed by every plug-in's that loads, and a fault (one line: the
    /// plug-in, the member, the cause) for each that does not; a bad path is a usage error naming it.
    /// </summary>
    public static PluginCatalog Load(IEnumerable<string>? paths)
    {
        var all = PatcherRegistry.BuiltIn.ToList();
        var faults = new List<PluginFault>();
        foreach (var path in paths ?? [])
        {
            if (Directory.Exists(path)) throw new UsageException($"--plugin {path}: is a directory; give the compiled assembly (a .dll file) in it");
            System.Reflection.Assembly assembly;
            try { assembly = PatcherRegistry.LoadAssembly(path); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var described = WorkerHost.Active
                ? PatcherRegistry.PatcherTypes(assembly).Select(t => Skip.Contains(t.FullName!) ? Skipped(t) : PatcherRegistry.DescribePlugin(t)).ToArray()
                : RemoteCatalog.Describe(assembly, PluginLimits.Current);
            var load = PatcherRegistry.Resolve(described, all);
            all.AddRange(load.Patchers.Select(p => p with { Plugin = path }));   // the path as given: tokens and printed commands name it
            faults.AddRange(load.Faults);
        }
        return new PluginCatalog(all, faults);
    }

    /// <summary>In a worker running a command: plug-in types the command line found faulty, not made again here.</summary>
    public static IReadOnlySet<string> Skip { get; set; } = new HashSet<string>();

    private static (PatcherInfo?, PluginFault?) Skipped(Type t) =>
        (null, new PluginFault(PluginOrigin.Of(t), null, PluginMember.None, 0, "was left out: it failed when the command line read it"));

    /// <summary>The patchers of <see cref="Load"/> (the faulty ones left out).</summary>
    public static IReadOnlyList<PatcherInfo> Catalog(IEnumerable<string>? paths) => Load(paths).Patchers;
}
