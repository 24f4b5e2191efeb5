using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// <c>text_poke_bp</c> before 2019 (sources.md a.2; jump_label passed <c>site+5</c> as the handler
/// address): the same int3 / tail / head protocol, one site at a time, but the #BP handler
/// <b>redirects</b> to the end of the site, i.e. treats the site as a NOP while it is patched.
/// Right for nop&lt;-&gt;call and nop&lt;-&gt;jmp; a call&lt;-&gt;call change skips the call.
/// </summary>
public sealed class TextPokeBpPre2019 : IPatcher
{
    private PatchRequest[] _batch = [];

    public string Name => "text-poke-bp-pre2019";
    public string Description => "int3, sync, tail, sync, head, sync per site; #BP redirects to site+len (NOP semantics)";
    public string Source => "arch/x86/kernel/alternative.c text_poke_bp before 2019 (sources.md a.2); jump_label passed site+5";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("a trapped CPU skips the site, which is what a NOP does, so a change to or from a NOP stays old-or-new")
            with { Transitions = [Expect.T(InstructionClass.Nop, InstructionClass.Call), Expect.T(InstructionClass.Call, InstructionClass.Nop),
                                  Expect.T(InstructionClass.Nop, InstructionClass.Jmp), Expect.T(InstructionClass.Jmp, InstructionClass.Nop)] },
        Expect.Fail(FailureKind.SkippedCall, "between two calls (or jumps) a trapped CPU runs neither: it skips the site (the ftrace live-patching bug)"),
    ];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch.OrderBy(r => r.Site.Address))
            foreach (var step in IntThreeProtocol.Steps([r], b => _batch = b))
                yield return step;
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"bp_int3_addr is not 0x{context.TrapAddress + 1:x}");
        context.EmulateJmp(r.Site.Next);   // regs->ip = bp_int3_handler (= site + len)
        return BreakpointResult.Claimed;
    }
}
