using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// The modern int3 protocol whose #BP handler emulates the new instruction, as in 2019's
/// 4b33dadf3766 "x86_64: Allow breakpoints to emulate call instructions", but on a #BP entry
/// without the stack gap that 2700fefdb2d9 "x86_64: Add gap to int3 to allow for call emulation"
/// (Josh Poimboeuf, Peter Zijlstra; LKML 20190501131117.GW2623; sources.md a.5) added. The
/// emulated push of a call's return address goes just below the interrupted RSP, which is where
/// the hardware put the trap frame: when RSP was 16-byte aligned at the site, the return address
/// lands on the frame's SS slot and the <c>iretq</c> faults.
/// </summary>
public sealed class Int3EmulateCallNoGap : IPatcher
{
    private PatchRequest[] _batch = [];

    public string Name => "int3-emulate-call-no-gap";
    public string Description => "int3 / sync / tails / sync / heads / sync; #BP emulates the new instruction, call included, with no entry stack gap";
    public string Source => "before 2700fefdb2d9 \"x86_64: Add gap to int3 to allow for call emulation\" (2019; sources.md a.5); seed 001";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.CorruptedStack, "the emulated push of the return address writes where the hardware put the trap frame")
            with { Transitions = IntoCall },
        Expect.Pass("jmp, nop and ret emulation push nothing, so the missing gap is never used"),
    ];

    /// <summary>The handler's stack is the bare hardware frame.</summary>
    public int BreakpointStackGap => 0;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        IntThreeProtocol.EmulateNew(_batch, context);

    /// <summary>Every transition whose new instruction is a call.</summary>
    private static Transition[] IntoCall => Enum.GetValues<InstructionClass>().Select(from => Expect.T(from, InstructionClass.Call)).ToArray();
}
