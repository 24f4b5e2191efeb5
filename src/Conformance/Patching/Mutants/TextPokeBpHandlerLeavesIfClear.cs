using Conformance.Emulation;

namespace Conformance.Patching.Mutants;

/// <summary>
/// The #BP handler returns with IF cleared in the saved RFLAGS: Linus's sti-stub scheme (seed 003,
/// Jan 2019: "clear IF in the return %rflags, and pick a *slightly* more complex stub: push
/// $returnaddressforTHIScall; sti; jmp targetforTHIScall") with the clearing kept and the stub's
/// <c>sti</c> lost. The interrupted CPU runs on with interrupts off, never takes the next sync IPI,
/// and the patcher waits for it forever (the deadlock of sources.md f and §0.5).
/// </summary>
public sealed class TextPokeBpHandlerLeavesIfClear : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-handler-leaves-if-clear";
    protected override string What => "the handler returns with IF cleared";
    public override string Source => "Linus Torvalds, Jan 11 2019, \"clear IF in the return %rflags\" with a sti stub (seed 003; sources.md c.2), here without the sti; sources.md 0.5 and f (the sync IPI waits for IF=1)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.Deadlock, "a CPU that trapped runs on with IRQs off and never acknowledges the next sync IPI"),
    ];

    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        var result = base.OnBreakpoint(context);
        if (result.Handled) context.Flags &= ~RFlags.IF;
        return result;
    }
}
