using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Alexei Starovoitov's question in the BPF trampoline thread (LKML
/// 20191111194726.udayafzpqxeqjyrj@ast-mbp.dhcp.thefacebook.com, 2019-11-11; seed 004;
/// sources.md i): "Can text_poke() patch nop5 by combining the call/jmp5 insn with extra 3 bytes
/// after the nop and write 8?" One naturally aligned 8-byte store carries the new 5-byte
/// instruction and a snapshot of the 3 bytes that follow it. No int3, no IPI.
/// </summary>
/// <remarks>
/// Peter Zijlstra's answer (LKML 20191111203931.GU4131@hirez.programming.kicks-ass.net) is why
/// Linux never did it: fetch width is not specified across x86 uarchs, so data-side atomicity of
/// the store says nothing about instruction fetch; the 8 bytes must be aligned (arbitrary sites are
/// not); and the 3 trailing bytes belong to the next instruction, which another patcher may be
/// changing: the store writes back whatever it read, a racy snapshot. One sync at the end (not in
/// the proposal) so the patch is complete when the patcher returns, as the completion property
/// (P3) asks; it changes nothing about tearing, which is the claim under test.
/// </remarks>
public sealed class Atomic8Byte : IPatcher
{
    public const string Unaligned = "falls back to text_poke_bp";

    public string Name => "atomic-8byte";
    public string Description => "one aligned 8-byte store: the new instruction plus a snapshot of the 3 bytes after it, then sync; no int3";
    public string Source => "Alexei Starovoitov, LKML 20191111194726.udayafzpqxeqjyrj (BPF trampoline, Nov 2019), answered in 20191111203931.GU4131; seed 004; sources.md i";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("an aligned 8-byte store is one event, and an aligned 8-byte unit never crosses a 16-, 32- or 64-byte fetch block: old or new. " +
                    "(Also racy against a neighbour patched at the same time: the store writes back a stale snapshot of the next instruction's first 3 bytes.)")
            with { Models = ["atomic", "block64", "block32", "block16"] },
        Expect.Fail(FailureKind.TornDecode,
            "fetch may read the quadword byte by byte (AMD: 'may be read more than once'): old and new bytes mix, e.g. e8 with the NOP's tail. " +
            "It is also racy against a neighbour patched at the same time: the 3 bytes after the site are a snapshot written back")
            with { Models = ["architectural"] },
    ];

    public SiteDecision Accepts(PatchSite site) =>
        site.Address % 8 == 0 && site.Length <= 8 ? SiteDecision.Accept : SiteDecision.Decline(Unaligned);

    /// <summary>The 8-byte store writes back the bytes after the site (the next instruction's first ones): the patch owns them.</summary>
    public IReadOnlyList<CodeRange> OwnedBytes(PatchRequest request) =>
        [new CodeRange(request.Site.Next, 8 - request.Site.Length, $"the {8 - request.Site.Length} bytes after {request.Site.Name}, written back by the 8-byte store")];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch.OrderBy(r => r.Site.Address))
        {
            if (!Accepts(r.Site).Accepted) throw new ArgumentException($"{Name}: {r.Site} is not 8-byte aligned");
            // The bytes after the site are read when the step is drawn, i.e. at the moment of the store.
            byte[] after = context.Read(r.Site.Next, 8 - r.Site.Length);
            yield return PatchContext.Store(r.Site.Address, [.. r.New, .. after]);
        }
        yield return PatchContext.Sync();   // so that the patch is complete when the patcher returns (P3)
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        BreakpointResult.Declined($"{Name} writes no int3 and has no #BP handler");
}
