using Conformance.Probe.Layout;

namespace Conformance.Probe.Rows;

/// <summary>
/// A store shape: the same store sequence from old to new and from new to old. <see cref="Flip"/>
/// says what it stores to turn the instruction <c>from</c> into <c>to</c>.
/// </summary>
public abstract class StoreShape : ProbeRow
{
    public override RowCycle Cycle(SiteWindow site)
    {
        if (NotApplicable(site) is { } why) return RowCycle.Declined(why);
        var forward = Flip(site, site.Old, site.New).ToArray();
        return new RowCycle([.. forward, .. Flip(site, site.New, site.Old)], forward.Length);
    }

    /// <summary>Why the shape cannot be stored at this site, or null.</summary>
    protected virtual string? NotApplicable(SiteWindow site) => null;

    protected abstract IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to);
}

/// <summary>Four 1-byte stores of the displacement in address order: the writer's own snapshots are torn (the control row).</summary>
public sealed class ByteStores : StoreShape
{
    public override string Name => "bytes";
    public override string Description => "four 1-byte stores of the displacement, in address order: the writer's own half-written states tear (the control row)";
    protected override IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to) =>
        Enumerable.Range(1, 4).Select(i => new HardwareStore(i, [to[i]]));
}

/// <summary>One 2-byte store of the displacement's two low bytes, the only ones that differ.</summary>
public sealed class Store2 : StoreShape
{
    public override string Name => "store2";
    public override string Description => "one 2-byte store of the displacement's low two bytes (the targets differ in those two only)";
    public override IReadOnlyList<int> ChangedDisplacementBytes => [0, 1];
    protected override IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to) => [new HardwareStore(1, to[1..3])];
}

/// <summary>One 4-byte store of the displacement: aligned-rel32's store, at any placement.</summary>
public sealed class Store4 : StoreShape
{
    public override string Name => "store4";
    public override string Description => "one 4-byte store of the displacement (split in two lines at straddle64@2..4)";
    protected override IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to) => [new HardwareStore(1, to[1..5])];
}

/// <summary>One unaligned 8-byte store of the call and the 3 bytes after it (unchanged).</summary>
public sealed class Store8 : StoreShape
{
    public override string Name => "store8";
    public override string Description => "one 8-byte store of the whole call and the 3 bytes after it, unaligned (split in two lines at straddle64@*)";
    protected override IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to) => [new HardwareStore(0, [.. to, .. site.At(5, 3)])];
}

/// <summary>The naturally aligned 8-byte store that covers the site, where one does (the site lies in an aligned quadword).</summary>
public sealed class Aligned8 : StoreShape
{
    public override string Name => "aligned8";
    public override string Description => "the aligned 8-byte store covering the site, with the unchanged bytes around it (only where an aligned quadword holds the site)";

    protected override string? NotApplicable(SiteWindow site) =>
        site.Site % 8 + Placement.SiteLength > 8 ? "no aligned quadword holds the site" : null;

    protected override IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to)
    {
        int before = (int)(site.Site % 8);
        return [new HardwareStore(-before, [.. site.At(-before, before), .. to, .. site.At(5, 3 - before)])];
    }
}

/// <summary>
/// An ordered sequence whose every snapshot is valid: <c>eb fe</c> over the head (one 2-byte
/// store), the new tail byte by byte, then the new head (one 2-byte store); no sync. A torn call
/// needs a fetch that read the head and the tail at different moments.
/// </summary>
public sealed class SpinBytes : StoreShape
{
    public static readonly byte[] Spin = [0xeb, 0xfe];

    public override string Name => "spin-bytes";
    public override string Description => "eb fe over the head (2-byte store), the new tail byte by byte, the new head (2-byte store), no sync: every snapshot valid";
    protected override IEnumerable<HardwareStore> Flip(SiteWindow site, byte[] from, byte[] to) =>
    [
        new HardwareStore(0, Spin),
        .. Enumerable.Range(2, 3).Select(i => new HardwareStore(i, [to[i]])),
        new HardwareStore(0, to[0..2]),
    ];
}
