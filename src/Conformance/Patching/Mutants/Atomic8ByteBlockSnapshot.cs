using Conformance.Machine;

namespace Conformance.Patching.Mutants;

/// <summary>
/// Adjacent sites sharing a fetch block, patched as if independent: atomic-8byte's store widened to
/// the site's aligned 16-byte fetch block, written as its two aligned 8-byte halves (each one event;
/// a store of more than 8 bytes is byte by byte, spec/emulator.md), so a site need only lie inside
/// one half, not start 8-byte aligned; each block's bytes composed from one snapshot of the text
/// taken when the batch starts. With one site per block it is atomic-8byte's scheme (the site's
/// bytes change in one event inside one fetch unit); with two sites in one block each site's store
/// writes back the other's bytes as the snapshot had them: the suite refuses the store (a site
/// byte that is neither the new instruction nor an int3), and had it let it through, the first site
/// would keep its old instruction after the patcher returns (P3).
/// </summary>
/// <remarks>
/// Peter Zijlstra's third objection to the 8-byte store (LKML 20191111203931.GU4131; sources.md i):
/// the bytes a store carries beyond the site belong to another instruction, "which another patcher may
/// be modifying (e.g. an adjacent static key)", so the store writes back a racy snapshot of bytes it
/// does not own. Here the neighbour is in the same batch, which makes the lost update certain rather
/// than racy. The generators place sites 0x80 apart, so the random search cannot show it; the
/// exhaustive scenario places the second site in the first one's block (<see cref="MutantInfo.AdjacentSites"/>).
/// </remarks>
public sealed class Atomic8ByteBlockSnapshot : IPatcher
{
    public const int Block = 16;

    public string Name => "mutant-atomic-8byte-block-snapshot";
    public string Description => "atomic-8byte widened to the 16-byte block of each site (two 8-byte stores), every block composed from a snapshot taken when the batch starts (adjacent sites patched as if independent)";
    public string Source => "Peter Zijlstra, LKML 20191111203931.GU4131 (the 8-byte store carries bytes of the next instruction, 'e.g. an adjacent static key'); sources.md i";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget,
            "two sites in one 16-byte block: the second site's block store writes back the first site's old bytes, which it read before the first store"),
    ];

    public SiteDecision Accepts(PatchSite site) =>
        site.Address / Half == (site.Next - 1) / Half ? SiteDecision.Accept : SiteDecision.Decline("the site crosses an aligned 8-byte half of its block: falls back to text_poke_bp");

    private const int Half = 8;

    /// <summary>The block store writes every byte of the site's 16-byte block: the patch owns them.</summary>
    public IReadOnlyList<CodeRange> OwnedBytes(PatchRequest request) =>
        [new CodeRange(BlockOf(request.Site), Block, $"the 16-byte block of {request.Site.Name}, written back by its block store")];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        var ordered = batch.OrderBy(r => r.Site.Address).ToArray();
        foreach (var r in ordered)
            if (!Accepts(r.Site).Accepted) throw new ArgumentException($"{Name}: {r.Site} crosses an 8-byte half of its block");
        // The mutation: every block is read before the first store, as if no other site of the batch shared it.
        var blocks = ordered.Select(r => context.Read(BlockOf(r.Site), Block)).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            var r = ordered[i];
            ulong block = BlockOf(r.Site);
            r.New.CopyTo(blocks[i], (int)(r.Site.Address - block));
            yield return PatchContext.Store(block, blocks[i][..Half]);
            yield return PatchContext.Store(block + Half, blocks[i][Half..]);
        }
        yield return PatchContext.Sync();   // as atomic-8byte: the patch is complete when the patcher returns (P3)
    }

    private static ulong BlockOf(PatchSite site) => site.Address / Block * Block;

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        BreakpointResult.Declined($"{Name} writes no int3 and has no #BP handler");
}
