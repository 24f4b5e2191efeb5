using Conformance.Patching;

namespace Conformance.Probe.Rows;

/// <summary>The rows of the probe's table: the store shapes, then the int3-free schemes of the catalog.</summary>
public static class ProbeRows
{
    /// <summary>The catalog schemes the probe runs by default: those that write no int3 (and need no #BP handler).</summary>
    public static readonly string[] SchemeNames = ["naive-text-poke", "aligned-rel32", "atomic-8byte", "jmp-self-spin"];

    public static IReadOnlyList<StoreShape> Shapes { get; } = [new ByteStores(), new Store2(), new Store4(), new Store8(), new Aligned8(), new SpinBytes()];

    public static IReadOnlyList<ProbeRow> All { get; } = [.. Shapes, .. SchemeNames.Select(n => new SchemeRow(PatcherRegistry.Get(n)))];

    /// <summary>A row by name: a shape, a default scheme, or any patcher of <paramref name="catalog"/> (it must replay as stores); an unknown name throws, listing the known ones.</summary>
    public static ProbeRow Get(string name, IReadOnlyList<PatcherInfo>? catalog = null)
    {
        if (All.FirstOrDefault(r => r.Name == name) is { } row) return row;
        if ((catalog ?? PatcherRegistry.BuiltIn).FirstOrDefault(p => p.Name == name) is { } patcher) return new SchemeRow(patcher);
        throw new ArgumentException($"unknown shape '{name}'; known: {string.Join(", ", All.Select(r => r.Name))}");
    }
}
