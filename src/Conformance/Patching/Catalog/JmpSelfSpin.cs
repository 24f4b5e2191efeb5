using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// <c>text_poke_bp</c>'s order with a jmp-to-self spin in place of the int3 and no sync between the
/// phases: store <c>eb fe</c> over the first two bytes (a CPU arriving there spins instead of
/// trapping), store the new tail, then the new first two bytes. Every snapshot of the site is the
/// old instruction, the spin or the new instruction, so the scheme is right exactly when an
/// instruction fetch cannot read the head and the tail at different moments. This is the shape of
/// issue 15's hardware probe (spec/probe.md), and the "spin instead of int3" idea of the 2018-2019
/// threads (hpa's "spin in the #BP handler", seed 003) moved from the handler to the site itself.
/// </summary>
/// <remarks>
/// The tail store covers bytes 1..n-1 with byte 1 kept <c>fe</c>, so a call's tail is one 4-byte
/// store. A site whose first two bytes cross a 64-byte line is declined (the spin itself would be
/// stored as two byte events: <c>eb</c> beside the old second byte is a jmp elsewhere). One sync at
/// the end, as aligned-rel32 and atomic-8byte have, so the patch is complete when the patcher
/// returns (P3); the claim under test is the absence of the middle syncs.
/// </remarks>
public sealed class JmpSelfSpin : IPatcher
{
    /// <summary>The holding instruction: <c>jmp .</c> (eb fe).</summary>
    public static readonly byte[] Spin = [0xeb, 0xfe];

    public const string HeadCrossesLine = "the spin would be two byte events: falls back to text_poke_bp";

    public string Name => "jmp-self-spin";
    public string Description => "eb fe (jmp to self) over the head, the new tail, the new head, then sync: text_poke_bp's order with a spin and no middle syncs; no int3";
    public string Source => "text_poke_bp without sync #2, a spin instead of the int3 (issue 15's probe shape; hpa's spin, seed 003; sources.md a.3, f)";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("every snapshot of the site is the old instruction, the spin or the new one, and the whole instruction is read at one moment")
            with { Models = ["atomic"] },
        Expect.Fail(FailureKind.TornDecode,
            "a fetch unit boundary can fall inside the site: a CPU reads the new head with the old tail (or the spin's head with the old second byte) and decodes neither instruction")
            with { Models = ["block64", "block32", "block16", "architectural"] },
    ];

    public IReadOnlyList<byte[]> HoldingInstructions { get; } = [Spin];

    public SiteDecision Accepts(PatchSite site) =>
        site.Length < 2 ? SiteDecision.Decline("a 1-byte site has no room for the spin")
        : site.Address / Memory.LineSize != (site.Address + 1) / Memory.LineSize ? SiteDecision.Decline(HeadCrossesLine)
        : SiteDecision.Accept;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(batch));

    private IEnumerable<WriterStep> Unlocked(IReadOnlyList<PatchRequest> batch)
    {
        var ordered = batch.OrderBy(r => r.Site.Address).ToArray();
        foreach (var r in ordered) yield return PatchContext.Store(r.Site.Address, Spin);
        foreach (var r in ordered)
            if (r.New.Length > 2) yield return PatchContext.Store(r.Site.Address + 1, [Spin[1], .. r.New[2..]]);
        foreach (var r in ordered) yield return PatchContext.Store(r.Site.Address, r.New[..2]);
        yield return PatchContext.Sync();   // so that the patch is complete when the patcher returns (P3)
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        BreakpointResult.Declined($"{Name} writes no int3 and has no #BP handler");
}
