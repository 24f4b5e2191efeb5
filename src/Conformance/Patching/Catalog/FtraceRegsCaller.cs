using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// x86 ftrace in 5.2-5.5: "ftrace/x86_64: Emulate call function while updating in breakpoint
/// handler" (Peter Zijlstra, May 2019, with the entry gap of 2700fefdb2d9; seed 002; sources.md
/// g.3). The batched int3 scheme of ftrace, whose handler emulates <c>call ftrace_regs_caller</c> at
/// every ftrace location: a third instruction, neither the old nor the new call, that runs every
/// registered ftrace_ops. Linus, 2019-05-06: "this doesn't emulate either the old _or_ the new call".
/// </summary>
/// <remarks>
/// Call target <see cref="RegsCallerTarget"/> (7) stands for <c>ftrace_regs_caller</c>: the suite's
/// workload has at least 8 targets when it wants to tell it apart from the sites' own targets. With
/// fewer, address <see cref="RegsCaller"/> holds no function and the emulated call shows as a fault.
/// </remarks>
public sealed class FtraceRegsCaller : IPatcher
{
    /// <summary>The workload call target that plays <c>ftrace_regs_caller</c>.</summary>
    public const int RegsCallerTarget = 7;

    /// <summary>The address the handler calls.</summary>
    public static ulong RegsCaller => Workload.CallTarget(RegsCallerTarget);

    private PatchRequest[] _batch = [];

    public string Name => "ftrace-regs-caller";
    public string Description => "ftrace 5.2-5.5: int3 on every record, sync, tails, sync, heads, sync; #BP emulates call ftrace_regs_caller";
    public string Source => "\"ftrace/x86_64: Emulate call function while updating in breakpoint handler\" (Linux 5.2, 2019; sources.md g.3); seed 002";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Undecided("a trapped CPU calls ftrace_regs_caller, a third instruction: \"this doesn't emulate either the old or the new call\" (Linus), though it runs every registered ops"),
    ];

    public SiteDecision Accepts(PatchSite site) => FtraceSites.Accepts(site);

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"0x{context.TrapAddress:x} is not an ftrace location being modified");
        context.EmulateCall(r.Site.Next, RegsCaller);   // int3_emulate_call(regs, ftrace_regs_caller)
        return BreakpointResult.Claimed;
    }
}
