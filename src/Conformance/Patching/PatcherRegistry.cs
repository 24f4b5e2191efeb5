using System.Reflection;

namespace Conformance.Patching;

/// <summary>A patcher known to the suite: its declared facts and how to make a fresh instance.</summary>
public sealed record PatcherInfo(string Name, string Description, string Source, IReadOnlyList<Expectation> Expectations, Type Type, bool IsPlugin)
{
    public IPatcher Create() => (IPatcher)Activator.CreateInstance(Type)!;

    /// <summary>For a plug-in's patcher, the assembly's path as it was given (<c>--plugin PATH</c>): its replay tokens name it.</summary>
    public string? Plugin { get; init; }
}

/// <summary>
/// The built-in catalog (every public <see cref="IPatcher"/> with a parameterless constructor in the
/// suite's assembly: adding one is one new file) and plug-ins loaded from a user's compiled assembly.
/// </summary>
public static class PatcherRegistry
{
    public static IReadOnlyList<PatcherInfo> BuiltIn { get; } = Discover(typeof(IPatcher).Assembly, isPlugin: false);

    /// <summary>Every patcher in <paramref name="assembly"/>, by name.</summary>
    public static IReadOnlyList<PatcherInfo> Discover(Assembly assembly, bool isPlugin) =>
        LoadableTypes(assembly)
            .Where(t => t.IsPublic && !t.IsAbstract && typeof(IPatcher).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => Describe(t, isPlugin))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The types of an assembly that load (a plug-in may reference assemblies that are not here).</summary>
    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null).Select(t => t!); }
    }

    /// <summary>Loads the patchers of a compiled assembly; a bad path or an assembly without patchers throws, saying which.</summary>
    public static IReadOnlyList<PatcherInfo> LoadPlugin(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"--plugin {path}: no such file");
        Assembly assembly;
        try { assembly = Assembly.LoadFrom(Path.GetFullPath(path)); }
        catch (Exception e) { throw new ArgumentException($"--plugin {path}: not a .NET assembly ({e.Message})"); }
        if (PluginCompatibility.Problem(assembly, path) is { } mismatch) throw new ArgumentException(mismatch);
        var found = Discover(assembly, isPlugin: true);
        return found.Count > 0 ? found.Select(p => p with { Plugin = path }).ToArray() : throw new ArgumentException($"--plugin {path}: holds no public IPatcher with a parameterless constructor");
    }

    public static PatcherInfo Get(string name) =>
        BuiltIn.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown patcher '{name}'; known: {string.Join(", ", BuiltIn.Select(p => p.Name))}");

    private static PatcherInfo Describe(Type t, bool isPlugin)
    {
        var p = (IPatcher)Activator.CreateInstance(t)!;
        return new PatcherInfo(p.Name, p.Description, p.Source, p.Expectations, t, isPlugin);
    }
}
