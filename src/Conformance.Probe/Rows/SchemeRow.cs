using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;

namespace Conformance.Probe.Rows;

/// <summary>
/// A catalog scheme on hardware: the patcher's own <see cref="IPatcher.Steps"/>, drawn against an
/// emulator memory holding the reader's page (a scheme may read what it writes back, as atomic-8byte
/// does), once to patch old to new and once new to old. Its stores become the writer's stores, in
/// their order; a store of a width x86 cannot store in one <c>mov</c> becomes pieces in address
/// order (<see cref="HardwareStore.Pieces"/>). Locks, pauses and syncs are not replayed: the probe
/// has one writer, and a sync after the stores cannot make them tear or not (the prediction is
/// made on the same stores, without the syncs). A step that waits for the machine is refused.
/// </summary>
public sealed class SchemeRow(PatcherInfo patcher) : ProbeRow
{
    public PatcherInfo Patcher { get; } = patcher;

    public override string Name => Patcher.Name;
    public override string Description => $"the catalog's {Patcher.Name}: {Patcher.Description}";
    public override bool IsScheme => true;

    public override RowCycle Cycle(SiteWindow site)
    {
        var memory = new Memory();
        memory.Map("probe-page", RegionKind.Text, site.ImageBase, site.Image.Length);
        memory.Load(site.ImageBase, site.Image);
        var stubs = new StubArea(memory.Map("probe-stubs", RegionKind.Stub, site.ImageBase + 0x10_0000, 0x1000));
        var patchSite = new PatchSite("site", site.Site, SiteKind.Call, Placement.SiteLength);
        var stores = new List<HardwareStore>();
        int forward = 0;
        foreach (var (from, to) in new[] { (site.Old, site.New), (site.New, site.Old) })
        {
            var request = new PatchRequest(patchSite, from, to);
            var instance = Patcher.Create();
            if (instance.Accepts(request) is { Accepted: false } declined) return RowCycle.Declined($"{Name} declines the site: {declined.Fallback}");
            var context = new PatchContext(memory, stubs, cpu: 1);
            foreach (var step in instance.Steps(context, [request]))
                switch (step)
                {
                    case WriterStep.Store s:
                        stores.AddRange(HardwareStore.Pieces(checked((int)((long)s.Address - (long)site.Site)), s.Bytes));
                        memory.Poke(s.Address, s.Bytes);   // what the scheme's later steps read
                        break;
                    case WriterStep.SyncCore or WriterStep.Acquire or WriterStep.Release or WriterStep.Pause:
                        break;
                    default:
                        throw new ProbeUnavailableException($"{Name}: its step '{step}' waits on the machine; the probe replays schemes made of stores only");
                }
            if (stores.Count == forward) throw new ProbeUnavailableException($"{Name}: it stores nothing to retarget the call");
            if (from == site.Old) forward = stores.Count;
        }
        return new RowCycle(stores, forward);
    }
}
