using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linus Torvalds, LKML 2019-01-11 (seed 003; sources.md c.2), first half of the mail: for each
/// static call, generate a stub <c>push $returnaddressforTHIScall; jmp targetforTHIScall</c>,
/// <c>on_each_cpu(do_sync_core)</c>, then <c>text_poke_bp(addr, newcode, newlen, generatedcode)</c>
/// with the pre-2019 handler that redirects RIP to the stub. Since <c>text_poke_bp</c>'s syncs
/// were taken to mean "no other CPU is using the generated code any more", the stub "can be
/// re-used for the next static call fixup": every patch writes stub slot 0 again.
/// </summary>
/// <remarks>
/// The flaw is the one Linus points out in the same mail: a CPU that left the handler for the
/// stub can be interrupted and preempted inside it; the syncs then complete without it, and the
/// next patch rewrites the stub under the suspended task, which resumes in the new stub.
/// </remarks>
public sealed class StubPerCallReused : IPatcher
{
    /// <summary>The one stub slot every patch reuses.</summary>
    public const int StubSlot = 0;

    private PatchRequest[] _batch = [];
    private ulong _stub;

    public string Name => "stub-per-call-reused";
    public string Description => "per call a generated stub 'push $ret; jmp target' in one reused slot, sync, pre-2019 int3 protocol redirecting to it";
    public string Source => "Linus Torvalds, LKML 2019-01-11, static calls v3 thread (seed 003); sources.md c.2";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.ReusedStub,
            "a task preempted inside the stub resumes after the next patch rewrote the reused slot: it jumps to the other call's target (or pushes the other call's return address)"),
    ];

    /// <summary>The handler only redirects; the proposal's point was to need no entry gap.</summary>
    public int BreakpointStackGap => 0;

    public SiteDecision Accepts(PatchRequest request) => StubCode.Supports(request);

    /// <summary>The next patch rewrites the same stub slot.</summary>
    public bool ReusesStubs => true;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        _stub = context.Stubs.Slot(StubSlot);
        foreach (var r in batch.OrderBy(r => r.Site.Address))
        {
            if (StubCode.DirectRedirect(Name, r) is null)
            {
                // 1) create a fixup code stub; 2) on_each_cpu(do_sync_core) so every CPU sees it.
                foreach (var step in StubCode.StoreInstructions(_stub, StubCode.PushJmp(_stub, r.Site.Next, StubCode.CallTarget(r))))
                    yield return step;
                yield return PatchContext.Sync();
            }
            // 3) text_poke_bp(addr, newcode, newlen, generatedcode).
            foreach (var step in IntThreeProtocol.Steps([r], b => _batch = b))
                yield return step;
        }
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"bp_int3_addr is not 0x{context.TrapAddress + 1:x}");
        context.Rip = StubCode.DirectRedirect(Name, r) ?? _stub;   // regs->ip = generatedcode
        return BreakpointResult.Claimed;
    }
}
