using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// "Spin in #BP until the patch completes": the suggestion (from context, Linus's) quoted by Andy
/// Lutomirski on 2018-11-29 to "just restart the instruction (with the suggested 'ptregs->rip --')",
/// and H. Peter Anvin's 2019-01-11 "I still don't see why can't simply spin in the #BP handler"
/// (seed 003; sources.md f; https://lkml.indiana.edu/hypermail/linux/kernel/1811.3/05768.html and
/// https://lkml.indiana.edu/hypermail/linux/kernel/1901.1/05808.html). The modern int3 protocol
/// with waiting syncs; the handler returns to the int3 itself, so a trapped CPU traps again until
/// the new first byte replaces it. A CPU spinning this way has IF=0 while it is in the handler and
/// whatever IF the site had in between: the sync IPI never reaches a site run with IF=0, or a CPU
/// spinning on a lock the trapped CPU holds (Andy's and Jiri Kosina's deadlock).
/// </summary>
public sealed class SpinInBp : IPatcher
{
    private PatchRequest[] _batch = [];

    public string Name => "spin-in-bp";
    public string Description => "int3 / sync / tails / sync / heads / sync with waiting syncs; #BP returns to the int3 until the head is written";
    public string Source => "Linus Torvalds (quoted by Andy Lutomirski, 2018-11-29) and H. Peter Anvin (2019-01-11); seed 003; sources.md f";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.Deadlock, "a site run with IF=0 never takes the sync IPI the patcher waits for; with 3 CPUs, a CPU spinning with IRQs off on a lock the trapped CPU holds"),
    ];

    // The spin is the int3 itself: no other holding instruction.

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is null)
            return BreakpointResult.Declined($"no site of the batch starts at 0x{context.TrapAddress:x}");
        context.Retry();   // regs->ip--: take the int3 again until the patcher replaces it
        return BreakpointResult.Claimed;
    }
}
