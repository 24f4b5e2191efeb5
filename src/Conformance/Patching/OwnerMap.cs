using Conformance.Emulation;

namespace Conformance.Patching;

/// <summary>
/// What one patch owns in code (issue 11, item 4): the sites of its requests, their padding
/// (<see cref="PatchRequest.Padding"/>), the bytes the patcher declares for each request
/// (<see cref="IPatcher.OwnedBytes"/>), and the stub area. A store into executable memory (text, or
/// a stub region that is not the stub area, such as the #BP entry) outside all of them is the
/// violation <see cref="Violation"/> names; data and stacks are the patcher's to write.
/// </summary>
public sealed class OwnerMap
{
    /// <summary>The name of the violation: a patcher stored into code it does not own.</summary>
    public const string Violation = "patcher-wrote-outside";

    private readonly CodeRange[] _owned;

    private OwnerMap(CodeRange[] owned) => _owned = owned;

    /// <summary>The ranges, in address order: each site, its padding, the declared bytes, the stub area.</summary>
    public IReadOnlyList<CodeRange> Owned => _owned;

    public static OwnerMap For(IPatcher patcher, IEnumerable<PatchRequest> requests, ulong stubBase, int stubSize)
    {
        var owned = new List<CodeRange>();
        foreach (var r in requests)
        {
            owned.Add(new CodeRange(r.Site.Address, r.Site.Length, $"{r.Site.Name} (site)"));
            owned.AddRange(r.Padding.Select(p => new CodeRange(p.Address, p.Bytes.Length, $"{r.Site.Name} padding")));
            owned.AddRange(patcher.OwnedBytes(r) ?? []);
        }
        owned.Add(new CodeRange(stubBase, stubSize, "stubs"));
        return new OwnerMap(owned.DistinctBy(o => (o.Address, o.Length)).OrderBy(o => o.Address).ThenBy(o => o.Length).ToArray());
    }

    /// <summary>The first byte of a store at <paramref name="address"/> that lands in code no range owns, or null.</summary>
    public ulong? FirstOutside(Memory memory, ulong address, int length)
    {
        for (int i = 0; i < length; i++)
        {
            ulong a = address + (ulong)i;
            if (memory.Find(a) is not { } region || region.Kind is RegionKind.Data or RegionKind.Stack) continue;
            if (!_owned.Any(o => o.Contains(a))) return a;
        }
        return null;
    }

    /// <summary>The sentence for a store outside: where, the bytes, what the byte held, and the owner map.</summary>
    public string Describe(string who, ulong address, byte[] bytes, ulong first, Memory memory)
    {
        var was = new byte[1];
        memory.ReadCurrent(first, was);
        string region = memory.Find(first)?.ToString() ?? "?";
        return $"{who} stores {Forms.Hex(bytes)} at 0x{address:x}: 0x{first:x} (in {region}, holding {was[0]:x2}) is outside what the patch owns; " +
               $"owner map: {this}";
    }

    public override string ToString() => string.Join(", ", _owned.Select(o => o.ToString()));
}
