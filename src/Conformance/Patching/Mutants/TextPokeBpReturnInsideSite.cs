namespace Conformance.Patching.Mutants;

/// <summary>
/// The handler emulates the call but pushes site+4, inside the site (an off-by-one in the length
/// <c>int3_emulate_call</c> adds: <c>regs->ip - 1 + 5</c>, sources.md a.4): the visit leaves with the
/// wrong word on the stack (P2), and the callee's <c>ret</c> later lands mid-instruction (a P1
/// decode). The P2 comes first; it is the cause.
/// </summary>
public sealed class TextPokeBpReturnInsideSite : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-return-inside-site";
    protected override string What => "the emulated call pushes site+4";
    public override string Source => "text-patching.h int3_emulate_call: push(regs->ip - 1 + 5), here off by one (sources.md a.4); ecc606103837's int3 selftest stack corruption (sources.md a.5)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.CorruptedStack, "the callee returns into the middle of the site"),
    ];

    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (Find(context.TrapAddress) is not { } r) return BreakpointResult.Declined("not in the batch");
        if (Forms.Classify(r.Site.Address, r.New) != InstructionClass.Call) return context.Emulate(r.Site, r.New);
        context.EmulateCall(r.Site.Address + 4, Forms.Target(r.Site.Address, r.New)!.Value);   // should be r.Site.Next
        return BreakpointResult.Claimed;
    }
}
