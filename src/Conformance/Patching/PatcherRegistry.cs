using System.Reflection;

namespace Conformance.Patching;

/// <summary>A patcher known to the suite: its declared facts and how to make a fresh instance.</summary>
public sealed record PatcherInfo(string Name, string Description, string Source, IReadOnlyList<Expectation> Expectations, Type Type, bool IsPlugin)
{
    /// <summary>For a plug-in, the assembly file and type it comes from (null for a built-in).</summary>
    public PluginOrigin? Origin { get; init; }

    /// <summary>For a plug-in's patcher, the assembly's path as it was given (<c>--plugin PATH</c>): its replay tokens name it.</summary>
    public string? Plugin { get; init; }

    /// <summary>A fresh instance; a plug-in's behind <see cref="GuardedPatcher"/>.</summary>
    public IPatcher Create() => IsPlugin
        ? GuardedPatcher.Create(Type, Origin ?? PluginOrigin.Of(Type), Name)
        : (IPatcher)Activator.CreateInstance(Type)!;
}

/// <summary>What a plug-in assembly holds: the patchers that load, and a fault for each that does not.</summary>
public sealed record PluginLoad(IReadOnlyList<PatcherInfo> Patchers, IReadOnlyList<PluginFault> Faults);

/// <summary>
/// The built-in catalog (every public <see cref="IPatcher"/> with a parameterless constructor in the
/// suite's assembly: adding one is one new file; the mutants of <see cref="Mutants.MutantRegistry"/>
/// are left out) and plug-ins loaded from a user's compiled assembly.
/// </summary>
public static class PatcherRegistry
{
    public static IReadOnlyList<PatcherInfo> BuiltIn { get; } = Discover(typeof(IPatcher).Assembly, isPlugin: false);

    /// <summary>
    /// Every patcher in <paramref name="assembly"/>, by name. A plug-in's that do not load (see
    /// <see cref="Inspect"/>) are left out; <see cref="Inspect"/> says why.
    /// </summary>
    public static IReadOnlyList<PatcherInfo> Discover(Assembly assembly, bool isPlugin) =>
        isPlugin
            ? Inspect(assembly).Patchers
            : PatcherTypes(assembly).Where(t => !Mutants.MutantRegistry.IsMutant(t))
                .Select(t => Describe(t, (IPatcher)Activator.CreateInstance(t)!, isPlugin: false)).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The patchers of a plug-in assembly, each made and read behind <see cref="GuardedPatcher"/>: a
    /// constructor or declared member that throws or returns what it may not is a fault, and so is a
    /// name an earlier patcher has (see <see cref="Resolve"/>); the others load.
    /// </summary>
    public static PluginLoad Inspect(Assembly assembly, IEnumerable<PatcherInfo>? taken = null) =>
        Resolve(PatcherTypes(assembly).Select(DescribePlugin).ToArray(), taken);

    /// <summary>
    /// The described types of an assembly (in <see cref="PatcherTypes"/> order) as patchers and faults:
    /// a name that one of <paramref name="taken"/> or a type before it already has is a fault.
    /// Patchers come back by name, faults by type.
    /// </summary>
    public static PluginLoad Resolve(IEnumerable<(PatcherInfo? Patcher, PluginFault? Fault)> described, IEnumerable<PatcherInfo>? taken = null)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in taken ?? []) names.TryAdd(p.Name, Owner(p));
        var patchers = new List<PatcherInfo>();
        var faults = new List<PluginFault>();
        foreach (var d in described)
        {
            switch (d)
            {
                case { Fault: { } fault }:
                    faults.Add(fault);
                    break;
                case { Patcher: { } p } when names.TryGetValue(p.Name, out var owner):
                    faults.Add(Duplicate(p, owner));
                    break;
                case { Patcher: { } p }:
                    names[p.Name] = Owner(p);
                    patchers.Add(p);
                    break;
            }
        }
        return new PluginLoad(patchers.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray(), faults);
    }

    private static string Owner(PatcherInfo p) => p.Origin is { } o ? o.ToString() : $"the built-in {p.Type.Name}";

    /// <summary>The fault of a plug-in whose name another patcher (<paramref name="owner"/>) already has.</summary>
    public static PluginFault Duplicate(PatcherInfo p, string owner) =>
        PluginFault.Returned(p.Origin!, null, PluginMember.Name, $"'{p.Name}'", $"{owner} has that name already (names must be unique)");

    /// <summary>One plug-in type made and read behind the guard: its description, or the fault that stopped it.</summary>
    public static (PatcherInfo? Patcher, PluginFault? Fault) DescribePlugin(Type type)
    {
        var origin = PluginOrigin.Of(type);
        // Loading is not running: a fault here is the answer, not the end of a job.
        var onFatal = PluginCalls.OnFatal;
        PluginCalls.OnFatal = null;
        try { return (Describe(type, GuardedPatcher.Create(type, origin), isPlugin: true) with { Origin = origin }, null); }
        catch (PluginFaultException e) { return (null, e.Fault); }
        finally { PluginCalls.OnFatal = onFatal; }
    }

    /// <summary>The public, concrete <see cref="IPatcher"/> types with a parameterless constructor, by full name (reflection only: no plug-in code runs).</summary>
    public static IReadOnlyList<Type> PatcherTypes(Assembly assembly) =>
        LoadableTypes(assembly)
            .Where(t => t.IsPublic && !t.IsAbstract && typeof(IPatcher).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The types of an assembly that load (a plug-in may reference assemblies that are not here).</summary>
    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null).Select(t => t!); }
    }

    /// <summary>Loads a compiled assembly for its plug-in patchers; a bad path or an assembly without patcher types throws, saying which.</summary>
    public static Assembly LoadAssembly(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"--plugin {path}: no such file");
        Assembly assembly;
        try { assembly = Assembly.LoadFrom(Path.GetFullPath(path)); }
        catch (Exception e) { throw new ArgumentException($"--plugin {path}: not a .NET assembly ({e.Message})"); }
        if (PluginCompatibility.Problem(assembly, path) is { } mismatch) throw new ArgumentException(mismatch);
        return PatcherTypes(assembly).Count > 0 ? assembly : throw new ArgumentException($"--plugin {path}: holds no public IPatcher with a parameterless constructor");
    }

    /// <summary>
    /// Loads the patchers of a compiled assembly (<see cref="Inspect"/>), each carrying <paramref name="path"/>
    /// as given (<see cref="PatcherInfo.Plugin"/>); a bad path or an assembly without patchers throws, saying which.
    /// </summary>
    public static PluginLoad LoadPlugin(string path, IEnumerable<PatcherInfo>? taken = null) =>
        Inspect(LoadAssembly(path), taken) is var load ? load with { Patchers = load.Patchers.Select(p => p with { Plugin = path }).ToArray() } : null!;

    public static PatcherInfo Get(string name) =>
        BuiltIn.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown patcher '{name}'; known: {string.Join(", ", BuiltIn.Select(p => p.Name))}");

    private static PatcherInfo Describe(Type t, IPatcher p, bool isPlugin) => new(p.Name, p.Description, p.Source, p.Expectations, t, isPlugin);
}
