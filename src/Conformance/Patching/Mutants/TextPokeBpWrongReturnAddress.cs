using Conformance.Patching.Catalog;

namespace Conformance.Patching.Mutants;

/// <summary>
/// The handler emulates the call with the site itself as the return address instead of the next
/// instruction: the callee returns to the site and calls again. Linux's
/// <c>int3_emulate_call(regs, func)</c> pushes <c>regs->ip - 1 + 5</c> (sources.md a.4).
/// </summary>
public sealed class TextPokeBpWrongReturnAddress : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-wrong-return";
    protected override string What => "the emulated call pushes the site, not site+len";
    public override string Source => "text-patching.h int3_emulate_call: push(regs->ip - 1 + 5) (sources.md a.4); 4b33dadf3766 \"x86_64: Allow breakpoints to emulate call instructions\"";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.CorruptedStack, "the caller returns to the wrong place"),
    ];

    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (Find(context.TrapAddress) is not { } r) return BreakpointResult.Declined("not in the batch");
        if (Forms.Classify(r.Site.Address, r.New) != InstructionClass.Call) return context.Emulate(r.Site, r.New);
        context.EmulateCall(r.Site.Address, Forms.Target(r.Site.Address, r.New)!.Value);   // should be r.Site.Next
        return BreakpointResult.Claimed;
    }
}
