using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Call emulation in the #BP handler as merged for Linux 5.2 (May 2019, backported to 4.14/5.0/5.1):
/// 4b33dadf3766 "x86_64: Allow breakpoints to emulate call instructions" together with
/// 2700fefdb2d9 "x86_64: Add gap to int3 to allow for call emulation" (sources.md a.5). The #BP
/// entry from kernel mode copies the 5-word hardware frame 6 words further down, so the handler's
/// emulated push of a return address lands in the gap, not on the frame.
/// </summary>
public sealed class Int3EmulateCallGap : IPatcher
{
    private PatchRequest[] _batch = [];

    public string Name => "int3-emulate-call-gap";
    public string Description => "int3 / sync / tails / sync / heads / sync; #BP emulates the new instruction, behind a 6-word entry stack gap";
    public string Source => "4b33dadf3766 and 2700fefdb2d9 (Linux 5.2, 2019; sources.md a.5); seed 001";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("the 6-word gap leaves room below the interrupted RSP for the emulated push; the frame is untouched"),
    ];

    /// <summary>Linux's <c>.rept 6; pushq 5*8(%rsp); .endr</c> for X86_TRAP_BP from kernel mode.</summary>
    public int BreakpointStackGap => 6;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        IntThreeProtocol.EmulateNew(_batch, context);
}
