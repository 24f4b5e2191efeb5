using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linus Torvalds, LKML 2019-01-11 (seed 003; sources.md c.2), second half of the mail: the
/// per-call stub of <see cref="StubPerCallReused"/> made safe to reuse by giving the #BP handler
/// two stubs. Returning to a context with interrupts off, it picks the plain stub
/// <c>push $ret; jmp target</c>; returning to one with interrupts on, it clears IF in the frame
/// and picks <c>push $ret; sti; jmp target</c>, so "the STI shadow will mean that this sequence
/// is uninterruptible". The next patch's sync IPI cannot complete while the CPU is in either
/// stub, so both slots may be rewritten by the next patch.
/// </summary>
/// <remarks>
/// Andy Lutomirski's objection (LKML 2019-04-29, CALCETrXzVU0Q7u1q=QFPaDr=aojjF5cjbOi9CxxXnp5GqTqsWA):
/// an NMI that lands in the STI shadow ends it on return, and a pending interrupt is then taken
/// before the <c>jmp</c>: a preemption inside the stub again. Whether an NMI may land there is
/// the machine's <c>NmiMayEndStiShadow</c> switch.
/// </remarks>
public sealed class StubPerCallSti : IPatcher
{
    /// <summary>The slots every patch reuses: the plain stub and the <c>sti</c> stub.</summary>
    public const int PlainSlot = 0, StiSlot = 1;

    private PatchRequest[] _batch = [];
    private ulong _plain, _sti;

    public string Name => "stub-per-call-sti";
    public string Description => "per call two reused stubs, 'push $ret; jmp target' and 'push $ret; sti; jmp target'; #BP clears IF and picks the sti one";
    public string Source => "Linus Torvalds, LKML 2019-01-11, static calls v3 thread (seed 003); objection LKML 2019-04-29 (Andy Lutomirski); sources.md c.2";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("with IF cleared in the frame the CPU takes no interrupt until the sti shadow has covered the jmp, so it is out of the stub before any sync IPI or preemption")
            with { NmiMayEndStiShadow = false },
        Expect.Fail(FailureKind.ReusedStub,
            "an NMI in the sti shadow ends it; a pending preempting interrupt is then taken before the jmp, and the task resumes in a stub the next patch rewrote (Andy Lutomirski's objection)")
            with { NmiMayEndStiShadow = true },
    ];

    /// <summary>The handler only redirects and edits the flags; the proposal needs no entry gap.</summary>
    public int BreakpointStackGap => 0;

    public SiteDecision Accepts(PatchRequest request) => StubCode.Supports(request);

    /// <summary>The next patch rewrites the same stub slot.</summary>
    public bool ReusesStubs => true;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        _plain = context.Stubs.Slot(PlainSlot);
        _sti = context.Stubs.Slot(StiSlot);
        foreach (var r in batch.OrderBy(r => r.Site.Address))
        {
            if (StubCode.DirectRedirect(Name, r) is null)
            {
                ulong target = StubCode.CallTarget(r);
                foreach (var step in StubCode.StoreInstructions(_plain, StubCode.PushJmp(_plain, r.Site.Next, target)))
                    yield return step;
                foreach (var step in StubCode.StoreInstructions(_sti, StubCode.PushJmp(_sti, r.Site.Next, target, sti: true)))
                    yield return step;
                yield return PatchContext.Sync();
            }
            foreach (var step in IntThreeProtocol.Steps([r], b => _batch = b))
                yield return step;
        }
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"bp_int3_addr is not 0x{context.TrapAddress + 1:x}");
        if (StubCode.DirectRedirect(Name, r) is { } direct)
        {
            context.Rip = direct;
            return BreakpointResult.Claimed;
        }
        if ((context.Flags & RFlags.IF) != 0)
        {
            context.Flags &= ~RFlags.IF;   // regs->flags &= ~X86_EFLAGS_IF
            context.Rip = _sti;
        }
        else
            context.Rip = _plain;
        return BreakpointResult.Claimed;
    }
}
