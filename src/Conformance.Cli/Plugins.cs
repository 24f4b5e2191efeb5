using System.CommandLine;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>The <c>--plugin PATH</c> option: patchers from a user's compiled assembly join the built-in catalog.</summary>
public static class Plugins
{
    public static Option<string[]> Option() => new("--plugin")
    {
        Description = "A compiled assembly whose public IPatcher classes join the catalog (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The built-in patchers followed by every plug-in's; a bad path is a usage error naming it.</summary>
    public static IReadOnlyList<PatcherInfo> Catalog(IEnumerable<string>? paths)
    {
        var all = PatcherRegistry.BuiltIn.ToList();
        foreach (var path in paths ?? [])
        {
            if (Directory.Exists(path)) throw new UsageException($"--plugin {path}: is a directory; give the compiled assembly (a .dll file) in it");
            try { all.AddRange(PatcherRegistry.LoadPlugin(path)); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
        }
        var duplicate = all.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new UsageException($"two patchers are called '{duplicate.Key}'; names must be unique");
        return all;
    }
}
