using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// x86 ftrace from 3.x (2012, "ftrace/x86: Have arch x86_64 use breakpoints instead of stop machine",
/// Steven Rostedt) to 5.1: its own batched int3 scheme, whose <c>ftrace_int3_handler</c> skips the
/// 5-byte site (<c>regs-&gt;ip += MCOUNT_INSN_SIZE - 1</c>), i.e. treats it as a NOP while it changes
/// (seed 002; sources.md g.2). Right for nop&lt;-&gt;call; for call-&gt;call (a livepatch trampoline
/// replaced by the list iterator) a trapped CPU runs neither call: Nicolai Stange's 2019 report,
/// "[PATCH 3/4] x86/ftrace: make ftrace_int3_handler() not to skip fops invocation" (LKML 87imuv977c.fsf@suse.de).
/// </summary>
public sealed class FtraceSkip : IPatcher
{
    /// <summary>ftrace's site length, <c>MCOUNT_INSN_SIZE</c>.</summary>
    public const int McountInsnSize = 5;

    private PatchRequest[] _batch = [];

    public string Name => "ftrace-skip";
    public string Description => "ftrace 3.x-5.1: int3 on every record, sync, tails, sync, heads, sync; #BP skips the 5-byte site";
    public string Source => "arch/x86/kernel/ftrace.c ftrace_int3_handler, 2012 to 5.1 (sources.md g.2); Nicolai Stange, LKML 87imuv977c.fsf@suse.de; seed 002";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.SkippedCall, "between two calls a trapped CPU runs neither: the livepatched function's old body runs")
            with { Transitions = [Expect.T(InstructionClass.Call, InstructionClass.Call)] },
        Expect.Pass("skipping the site is what the NOP does, so a nop<->call change stays old-or-new"),
    ];

    public SiteDecision Accepts(PatchSite site) => FtraceSites.Accepts(site);

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is null)
            return BreakpointResult.Declined($"0x{context.TrapAddress:x} is not an ftrace location being modified");
        context.Rip += McountInsnSize - 1;   // skip the site: behave as the NOP
        return BreakpointResult.Claimed;
    }
}
