using Conformance.Probe.Layout;

namespace Conformance.Probe.Rows;

/// <summary>
/// The reader's page as a row sees it before the writer starts: where the site is, the page's bytes
/// (the site holding the old call, the loop after it) and the two instructions the writer flips between.
/// </summary>
public sealed record SiteWindow(Placement Placement, ulong ImageBase, byte[] Image, ulong Site, byte[] Old, byte[] New)
{
    /// <summary>The page's bytes at <paramref name="offset"/> from the site.</summary>
    public byte[] At(int offset, int length)
    {
        int from = (int)(Site - ImageBase) + offset;
        return Image[from..(from + length)];
    }
}

/// <summary>
/// A row of the probe's table: how the writer flips the site's call between its two targets. A
/// store shape is a fixed store sequence; a scheme row replays a catalog patcher's own steps.
/// </summary>
public abstract class ProbeRow
{
    /// <summary>Stable kebab-case name (<c>store4</c>, <c>aligned-rel32</c>).</summary>
    public abstract string Name { get; }

    /// <summary>One line: what the writer stores.</summary>
    public abstract string Description { get; }

    /// <summary>Whether the row replays a catalog patcher (else it is a store shape).</summary>
    public virtual bool IsScheme => false;

    /// <summary>Which bytes of the displacement (0 = the lowest) differ between the two targets.</summary>
    public virtual IReadOnlyList<int> ChangedDisplacementBytes => [0, 1, 2, 3];

    /// <summary>The stores of one cycle (old to new, new to old) at this site, or why the row does not apply.</summary>
    public abstract RowCycle Cycle(SiteWindow site);

    public override string ToString() => Name;
}
