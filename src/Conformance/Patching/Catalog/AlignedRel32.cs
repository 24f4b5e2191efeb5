using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Andy Lutomirski's proposal (2018-11-29, quoted in Josh Poimboeuf's mail
/// https://lkml.iu.edu/hypermail/linux/kernel/1812.1/04631.html; seed 001; sources.md e), as
/// static calls v3 implemented it (cover letter cover.1547073843.git.jpoimboe@redhat.com,
/// 2019-01-09): "if the call site destination doesn't cross a cacheline boundary, just do an
/// atomic write. Otherwise, keep using the trampoline indefinitely." The opcode <c>e8</c> never
/// changes; only its rel32 is rewritten, with one 4-byte store, no int3 and no IPI.
/// </summary>
/// <remarks>
/// It assumes instruction fetch reads a 64-byte line at one moment. Linus's reply in the same
/// thread is the counterexample the fetch models block32, block16 and architectural stand for:
/// "the I$ fetch from the cacheline can happen in smaller chunks".
/// One sync at the end, which the proposal does not spell out: without it a CPU may go on running
/// the old call after the patcher returned, which the suite's completion property (P3) forbids.
/// The scheme's claim under test is that the store cannot tear, and the sync changes nothing there.
/// </remarks>
public sealed class AlignedRel32 : IPatcher
{
    public const string CrossesLine = "keeps calling the out-of-line trampoline, retargeted with text_poke_bp";
    public const string NotACallSite = "only e8 call sites are rewritten in place; other sites keep text_poke_bp";

    public string Name => "aligned-rel32";
    public string Description => "one 4-byte store of a call's rel32 when it lies in one 64-byte line, then sync; no int3";
    public string Source => "Andy Lutomirski 2018-11-29 (lkml.iu.edu 1812.1/04631), static calls v3 (cover.1547073843.git.jpoimboe@redhat.com); seed 001; sources.md e";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("a 4-byte store inside one line is one event, and fetch reads the line at one moment: old call or new call")
            with { Models = ["atomic", "block64"] },
        Expect.Fail(FailureKind.TornDecode,
            "the rel32 may straddle a 16- or 32-byte fetch chunk inside its line (or be read byte by byte): a CPU decodes old and new displacement bytes together and calls neither target (Linus: the I$ fetch can happen in smaller chunks)")
            with { Models = ["block32", "block16", "architectural"] },
    ];

    /// <summary>Only a call that stays a call (e8 to e8): the opcode is never written.</summary>
    public SiteDecision Accepts(PatchRequest request) =>
        request.Old[0] == 0xe8 && request.New[0] == 0xe8 ? Accepts(request.Site) : SiteDecision.Decline(NotACallSite);

    public SiteDecision Accepts(PatchSite site)
    {
        if (site.Kind != SiteKind.Call) return SiteDecision.Decline(NotACallSite);
        ulong first = site.Address + 1, last = site.Address + 4;
        return first / Memory.LineSize == last / Memory.LineSize ? SiteDecision.Accept : SiteDecision.Decline(CrossesLine);
    }

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch.OrderBy(r => r.Site.Address))
        {
            if (r.Old.Length != 5 || r.New.Length != 5 || r.Old[0] != 0xe8 || r.New[0] != 0xe8)
                throw new ArgumentException($"{Name} only retargets a call (e8 -> e8): it cannot patch {r}");
            yield return PatchContext.Store(r.Site.Address + 1, r.New[1..]);   // one aligned-enough 4-byte store
        }
        yield return PatchContext.Sync();   // so that the patch is complete when the patcher returns (P3)
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        BreakpointResult.Declined($"{Name} writes no int3 and has no #BP handler");
}
