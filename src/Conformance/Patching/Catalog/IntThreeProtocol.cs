using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// The int3 / sync / tails / sync / heads / sync sequence shared by Linux's <c>text_poke_bp</c>
/// family (sources.md a.3), and the handler's lookup of the trapping site in the sorted batch.
/// </summary>
public static class IntThreeProtocol
{
    /// <summary>
    /// The steps for a batch, sorted by address (the handler bsearches it). <paramref name="publish"/>
    /// receives the sorted batch before the first int3 is written and an empty one after the last sync
    /// (Linux's <c>text_poke_array</c> and its refcount).
    /// </summary>
    public static IEnumerable<WriterStep> Steps(IReadOnlyList<PatchRequest> batch, Action<PatchRequest[]> publish)
    {
        var sorted = batch.OrderBy(r => r.Site.Address).ToArray();
        publish(sorted);
        foreach (var r in sorted)
            yield return PatchContext.Store(r.Site.Address, Forms.Int3);
        yield return PatchContext.Sync();
        if (sorted.Any(r => r.New.Length > 1))
        {
            foreach (var r in sorted.Where(r => r.New.Length > 1))
                yield return PatchContext.Store(r.Site.Address + 1, r.New[1..]);
            yield return PatchContext.Sync();
        }
        foreach (var r in sorted.Where(r => r.New[0] != Forms.Int3))
            yield return PatchContext.Store(r.Site.Address, r.New[0]);
        yield return PatchContext.Sync();
        publish([]);
    }

    /// <summary>The modern handler: find the trapping site in the sorted batch and emulate its new instruction.</summary>
    public static BreakpointResult EmulateNew(PatchRequest[] sorted, BreakpointContext context) =>
        Find(sorted, context.TrapAddress) is { } r
            ? context.Emulate(r.Site, r.New)
            : BreakpointResult.Declined($"no site of the batch starts at 0x{context.TrapAddress:x}");

    /// <summary>Binary search of the sorted batch for the site starting at <paramref name="address"/>.</summary>
    public static PatchRequest? Find(PatchRequest[] sorted, ulong address)
    {
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            ulong a = sorted[mid].Site.Address;
            if (a == address) return sorted[mid];
            if (a < address) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }
}
