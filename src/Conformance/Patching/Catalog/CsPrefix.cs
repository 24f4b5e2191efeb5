using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linus Torvalds's "cs prefix + int3" scheme, 2018-11-29, in "Re: [PATCH v2 4/4] x86/static_call:
/// Add inline static call implementation for x86-64" (quoted at
/// https://lkml.indiana.edu/hypermail/linux/kernel/1811.3/05923.html; seed 001; sources.md c.1).
/// The site is <c>2e e8 rel32</c>. The int3 goes over the harmless CS prefix, so a trapped CPU needs
/// no emulation: the handler writes the new instruction after the prefix itself (every writer
/// stores the same bytes), leaves the int3, and returns to site+1, where the bare instruction runs
/// after the serializing <c>iretq</c>.
/// </summary>
public sealed class CsPrefix : IPatcher
{
    private PatchRequest[] _batch = [];
    private (int Offset, byte[] Bytes)[] _bodies = [];   // per request of _batch: what goes after the prefix

    public string Name => "cs-prefix";
    public string Description => "int3 over the 2e prefix, sync, new rel32, sync, 2e back, sync; #BP writes the rel32 itself and resumes after the prefix";
    public string Source => "Linus Torvalds, LKML 2018-11-29 (lkml.indiana.edu/hypermail/linux/kernel/1811.3/05923.html); seed 001; sources.md c.1";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Undecided("the suite decides: a CPU that fetched the 2e before the int3 was visible may assemble the call while a handler on another CPU writes the rel32"),
    ];

    public SiteDecision Accepts(PatchSite site) =>
        site.Kind == SiteKind.CsCall
            ? SiteDecision.Accept
            : SiteDecision.Decline("only a cs-prefixed site (2e e8 rel32, emitted by asm) has a prefix to trap on; other sites keep a plain int3 protocol such as text-poke-bp");

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        var sorted = batch.OrderBy(r => r.Site.Address).ToArray();
        // Decided from the bytes in text once text_mutex is held, not from the caller's idea of the
        // old instruction: a patch that ran before this one may have changed the opcode.
        _bodies = sorted.Select(r => Body(r, context.Read(r.Site.Address + 1, 1)[0])).ToArray();
        _batch = sorted;
        foreach (var r in sorted)
            yield return PatchContext.Store(r.Site.Address, Forms.Int3);
        yield return PatchContext.Sync();
        for (int i = 0; i < sorted.Length; i++)
            yield return PatchContext.Store(sorted[i].Site.Address + (ulong)_bodies[i].Offset, _bodies[i].Bytes);
        yield return PatchContext.Sync();
        foreach (var r in sorted)
            yield return PatchContext.Store(r.Site.Address, r.New[0]);
        yield return PatchContext.Sync();
        _batch = [];
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"no cs-prefixed site of the batch starts at 0x{context.TrapAddress:x}");
        var (offset, bytes) = _bodies[Array.IndexOf(_batch, r)];
        context.WriteCode(r.Site.Address + (ulong)offset, bytes);   // idempotent: the patcher stores the same bytes
        return BreakpointResult.Claimed;                             // the saved RIP is already site+1: run the bare instruction
    }

    /// <summary>
    /// What both the patcher and the handler write after the prefix: the new rel32 at site+2 when the
    /// opcode in text stays (call to call, Linus's case), else the whole new instruction at site+1.
    /// </summary>
    private static (int Offset, byte[] Bytes) Body(PatchRequest r, byte opcodeInText) =>
        r.New[1] == opcodeInText ? (2, r.New[2..]) : (1, r.New[1..]);
}
