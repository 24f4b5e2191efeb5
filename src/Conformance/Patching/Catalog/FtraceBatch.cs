using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// x86 ftrace from 5.6: "[PATCH -v5 00/17] Rewrite x86/ftrace to use text_poke (and more)" (Peter
/// Zijlstra, LKML 20191111131252.921588318@infradead.org; seed 004; sources.md g.4) removed
/// <c>ftrace_int3_handler</c>: <c>ftrace_replace_code</c> queues every record with
/// <c>text_poke_queue(ip, new, 5, NULL)</c> and <c>text_poke_finish</c> runs the generic batch,
/// whose handler emulates the new instruction. The protocol of text-poke-bp, on ftrace's sites.
/// </summary>
public sealed class FtraceBatch : IPatcher
{
    private PatchRequest[] _batch = [];

    public string Name => "ftrace-batch";
    public string Description => "ftrace 5.6+: text_poke_queue per record, text_poke_finish; #BP emulates the new instruction";
    public string Source => "\"x86/ftrace: Use text_poke()\", Rewrite x86/ftrace to use text_poke, LKML 20191111131252.921588318@infradead.org (Linux 5.6; sources.md g.4); seed 004";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("a trapped CPU runs the new instruction, as in text-poke-bp; no window treats a call site as a NOP"),
    ];

    public SiteDecision Accepts(PatchSite site) => FtraceSites.Accepts(site);

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        IntThreeProtocol.EmulateNew(_batch, context);
}
