using System.Reflection;

namespace Conformance.Machine;

/// <summary>
/// Every fetch model: the built-in ones found in this assembly, in a fixed order (coarsest unit
/// first), plus any a caller registers from its own assembly.
/// </summary>
public static class FetchModelRegistry
{
    private static readonly string[] Order = { "atomic", "block64", "block32", "block16", "architectural" };

    /// <summary>The built-in models, atomic first and architectural last.</summary>
    public static IReadOnlyList<IFetchModel> BuiltIn { get; } = Discover(typeof(IFetchModel).Assembly)
        .OrderBy(m => Array.IndexOf(Order, m.Name) is var i && i < 0 ? int.MaxValue : i)
        .ThenBy(m => m.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Instances of every public, concrete <see cref="IFetchModel"/> with a parameterless constructor in <paramref name="assembly"/>.</summary>
    public static IEnumerable<IFetchModel> Discover(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && typeof(IFetchModel).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IFetchModel)Activator.CreateInstance(t)!);

    /// <summary>The built-in model called <paramref name="name"/>; an unknown name throws, listing the known ones.</summary>
    public static IFetchModel Get(string name) =>
        BuiltIn.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"unknown fetch model '{name}'; known: {string.Join(", ", BuiltIn.Select(m => m.Name))}");
}
