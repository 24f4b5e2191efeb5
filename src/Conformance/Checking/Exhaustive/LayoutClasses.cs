using System.Text;
using Conformance.Machine;

namespace Conformance.Checking.Exhaustive;

/// <summary>One line offset a site may take: what the patch writes there (old and new bytes of the site, same length).</summary>
public sealed record LayoutCandidate(int Offset, byte[] Old, byte[] New);

/// <summary>
/// A layout class of one site under one fetch model (spec/exhaustive.md, "Layout classes"): the
/// line offsets at which the model's fetch units cut the bytes the patch writes in the same places
/// and the patch changes the same bytes, so that every execution at one of them has its twin at
/// every other. <see cref="Representative"/> is the offset explored for the class.
/// </summary>
public sealed record SiteLayoutClass(string Name, int Representative, IReadOnlyList<int> Offsets)
{
    public override string ToString() => $"{Name} @{Representative}";
}

/// <summary>
/// The finite set of layout classes of a site per fetch model (spec/exhaustive.md). What a fetch
/// model makes of a layout is, for every fetch that may start at a written byte (any byte the patch
/// writes may begin an instruction of some intermediate state), which of the written bytes it reads
/// share a fetch unit: a unit is read at one moment, so bytes in one unit are seen from one moment and
/// bytes in two units may be seen from two. The store side is the machine's, the same under every
/// model: which written bytes share a 64-byte line (a store inside one is one event, one across a
/// line lands byte by byte), named <c>+line@K</c>. Bytes the patch never writes hold the same value at every
/// moment, so whose unit they share does not matter. What the patch writes matters by which bytes old
/// and new differ in (a tear mixing bytes where they agree is no tear). Both come from the
/// model's own <see cref="IFetchModel.UnitOf"/>, so a model added by a plug-in gets its classes too.
/// </summary>
public static class LayoutClasses
{
    /// <summary>The longest x86 instruction: a fetch starting at a written byte reads no further.</summary>
    public const int MaxInstruction = 15;

    /// <summary>
    /// The unit partition of the written bytes at one layout: for every written byte <c>r</c> a fetch
    /// may start at, and every later written byte within an instruction's reach, whether it begins a
    /// new unit (<c>|</c>) or shares the unit of the written byte before it (<c>.</c>). Equal
    /// signatures mean the model cuts the written bytes identically, whatever the layout.
    /// </summary>
    /// <param name="model">The fetch model.</param>
    /// <param name="address">Where relative position 0 lies (the site's first byte).</param>
    /// <param name="written">The positions the patch writes, relative to <paramref name="address"/> (the site's 0 to length-1, and any padding before it).</param>
    public static string Partition(IFetchModel model, ulong address, IReadOnlyList<int> written) => Partition(model.UnitOf, address, written);

    /// <summary>
    /// The machine's store units: a store of at most 8 bytes inside one 64-byte line is one event,
    /// any other a byte at a tick (<see cref="Emulation.Memory.IsOneEvent"/>), so which written bytes
    /// share a line decides whether one store of the patch can be seen half done, under every model.
    /// </summary>
    public static (ulong Start, ulong End) StoreUnitOf(ulong address, ulong rip)
    {
        ulong start = address / Emulation.Memory.LineSize * Emulation.Memory.LineSize;
        return (start, start + Emulation.Memory.LineSize);
    }

    private static string Partition(Func<ulong, ulong, (ulong, ulong)> unitOf, ulong address, IReadOnlyList<int> written)
    {
        var w = written.Distinct().Order().ToArray();
        var s = new StringBuilder();
        foreach (int r in w)
        {
            ulong rip = At(address, r);
            var reach = w.Where(p => p >= r && p < r + MaxInstruction).ToArray();
            for (int k = 1; k < reach.Length; k++)
                s.Append(unitOf(At(address, reach[k]), rip) == unitOf(At(address, reach[k - 1]), rip) ? '.' : '|');
            s.Append(';');
        }
        return s.ToString();
    }

    /// <summary>
    /// The written positions that begin a new unit for a fetch at the first written byte: empty when
    /// the model reads them all at one moment, [1, 2, 3, 4] for a 5-byte site read byte by byte.
    /// </summary>
    public static int[] Splits(IFetchModel model, ulong address, IReadOnlyList<int> written) => Splits(model.UnitOf, address, written);

    private static int[] Splits(Func<ulong, ulong, (ulong, ulong)> unitOf, ulong address, IReadOnlyList<int> written)
    {
        var w = written.Distinct().Order().ToArray();
        if (w.Length == 0) return [];
        ulong rip = At(address, w[0]);
        var reach = w.Where(p => p < w[0] + MaxInstruction).ToArray();
        return Enumerable.Range(1, reach.Length - 1)
            .Where(k => unitOf(At(address, reach[k]), rip) != unitOf(At(address, reach[k - 1]), rip))
            .Select(k => reach[k]).ToArray();
    }

    /// <summary>The positions at which <paramref name="c"/>'s old and new bytes differ.</summary>
    public static int[] Differ(LayoutCandidate c)
    {
        if (c.Old.Length != c.New.Length) throw new ArgumentException($"offset {c.Offset}: old and new differ in length ({c.Old.Length}, {c.New.Length})");
        return Enumerable.Range(0, c.Old.Length).Where(i => c.Old[i] != c.New[i]).ToArray();
    }

    /// <summary>
    /// The classes of a site that may lie at each of <paramref name="candidates"/>' line offsets of
    /// 64-byte lines starting at <paramref name="lineBase"/>, under <paramref name="model"/>. Each class
    /// is the offsets with the same unit partition of the written bytes (the site's, plus
    /// <paramref name="padding"/> positions before it) and the same differing bytes; its representative is
    /// <paramref name="preferred"/> when it is one of them, else its smallest offset. The preferred
    /// offset's class comes first, then the others by representative.
    /// </summary>
    /// <param name="model">The fetch model.</param>
    /// <param name="lineBase">A 64-byte-aligned address; the site lies at <c>lineBase + offset</c>.</param>
    /// <param name="candidates">The offsets the patcher accepts the site and change at, with what it writes there.</param>
    /// <param name="preferred">The offset the scenario takes by default.</param>
    /// <param name="padding">Written positions outside the site, relative to its first byte (negative: before it).</param>
    public static IReadOnlyList<SiteLayoutClass> Of(IFetchModel model, ulong lineBase, IEnumerable<LayoutCandidate> candidates, int preferred,
        IReadOnlyList<int>? padding = null)
    {
        if (lineBase % 64 != 0) throw new ArgumentException($"lineBase = 0x{lineBase:x}: not 64-byte aligned");
        var list = candidates.OrderBy(c => c.Offset).ToArray();
        if (list.Select(c => c.Offset).Distinct().Count() != list.Length) throw new ArgumentException("an offset is given twice");
        if (list.Any(c => c.Offset is < 0 or > 63)) throw new ArgumentException("a line offset is 0 to 63");
        IReadOnlyList<int> Written(LayoutCandidate c) => [.. Enumerable.Range(0, c.Old.Length), .. padding ?? []];

        var groups = list.GroupBy(c => (Partition(model, lineBase + (ulong)c.Offset, Written(c)), Partition(StoreUnitOf, lineBase + (ulong)c.Offset, Written(c)),
            string.Join(',', Differ(c)))).ToArray();
        bool masksVary = groups.Select(g => g.Key.Item3).Distinct().Count() > 1;
        var classes = groups.Select(g =>
        {
            var first = g.First();
            int[] offsets = g.Select(c => c.Offset).ToArray();
            int rep = offsets.Contains(preferred) ? preferred : offsets[0];
            int[] splits = Splits(model, lineBase + (ulong)rep, Written(first));
            int[] lines = Splits(StoreUnitOf, lineBase + (ulong)rep, Written(first));
            string name = splits.Length == 0 ? "one-unit" : $"split@{string.Join(',', splits)}";
            if (lines.Length > 0) name += $"+line@{string.Join(',', lines)}";
            if (masksVary) name += $"+d{string.Join(',', Differ(first))}";
            return (Name: name, Rep: rep, Offsets: offsets);
        }).ToList();
        // Two classes that share a name (a model whose units depend on where the fetch starts) are told apart.
        var named = new List<SiteLayoutClass>();
        foreach (var c in classes)
        {
            int same = named.Count(n => n.Name == c.Name || n.Name.StartsWith(c.Name + "#", StringComparison.Ordinal));
            named.Add(new SiteLayoutClass(same == 0 ? c.Name : $"{c.Name}#{same + 1}", c.Rep, c.Offsets));
        }
        return named.OrderBy(c => c.Offsets.Contains(preferred) ? 0 : 1).ThenBy(c => c.Representative).ToArray();
    }

    private static ulong At(ulong address, int relative) => relative >= 0 ? address + (ulong)relative : address - (ulong)(-relative);
}
