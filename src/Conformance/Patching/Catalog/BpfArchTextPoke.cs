using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// <c>bpf_arch_text_poke</c> as it has been since the BPF trampoline's v4 (Nov 2019, after Peter
/// Zijlstra's "very much unsafe vs concurrent execution", LKML 20191108091156.GG4114@hirez.programming.kicks-ass.net,
/// and Alexei Starovoitov's switch to <c>text_poke_bp</c>, LKML
/// 20191111194726.udayafzpqxeqjyrj@ast-mbp.dhcp.thefacebook.com; seed 004; sources.md b):
/// arch/x86/net/bpf_jit_comp.c <c>__bpf_arch_text_poke(ip, t, old_addr, new_addr)</c> builds the
/// old and the new 5-byte instruction (<c>x86_nops[5]</c> for a NULL address, else <c>call</c> for
/// <c>BPF_MOD_CALL</c> or <c>jmp</c> for <c>BPF_MOD_JUMP</c>), takes <c>text_mutex</c>, returns
/// <c>-EBUSY</c> if the site does not hold the old one, 1 if it already holds the new one, and
/// otherwise pokes it with <c>text_poke_bp(ip, new, 5, NULL)</c> (today <c>smp_text_poke_single</c>).
/// Its first form, <c>memcmp</c> then plain <c>text_poke</c>, is <see cref="NaiveTextPoke"/>.
/// </summary>
public sealed class BpfArchTextPoke : IPatcher
{
    private PatchRequest[] _batch = [];

    public const string FiveBytes = "bpf_arch_text_poke patches X86_PATCH_SIZE (5) bytes: a NOP5, call or jmp";
    public const string OneType = "old and new are x86_nops[5] or the one type t names (BPF_MOD_CALL: call, BPF_MOD_JUMP: jmp)";

    public string Name => "bpf-arch-text-poke";
    public string Description => "BPF trampolines: 5-byte NOP <-> call/jmp, memcmp against the old (-EBUSY) and the new (nothing to do), then text_poke_bp; #BP emulates the new instruction";
    public string Source => "torvalds/linux arch/x86/net/bpf_jit_comp.c __bpf_arch_text_poke (BPF trampoline, bpf-next Nov 2019, text_poke_bp since v4); seed 004; sources.md b; the first form is naive-text-poke";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("text_poke_bp under text_mutex: a trapped CPU runs the new instruction; the memcmp only guards against another text_mutex holder having changed the site"),
    ];

    public SiteDecision Accepts(PatchSite site) =>
        site.Length == 5 && site.Kind is SiteKind.Call or SiteKind.Nop5 or SiteKind.Jmp or SiteKind.Trampoline ? SiteDecision.Accept : SiteDecision.Decline(FiveBytes);

    public SiteDecision Accepts(PatchRequest request)
    {
        if (!Accepts(request.Site).Accepted) return Accepts(request.Site);
        var from = Type(request.Site, request.Old);
        var to = Type(request.Site, request.New);
        return from is null || to is null || (from != InstructionClass.Nop && to != InstructionClass.Nop && from != to)
            ? SiteDecision.Decline(OneType)
            : SiteDecision.Accept;
    }

    /// <summary>Nop for <c>x86_nops[5]</c>, Call for <c>e8 rel32</c>, Jmp for <c>e9 rel32</c>; null for anything else.</summary>
    private static InstructionClass? Type(PatchSite site, byte[] bytes) =>
        bytes.AsSpan().SequenceEqual(Forms.Nop5) ? InstructionClass.Nop
        : bytes.Length == 5 && bytes[0] == 0xe8 ? InstructionClass.Call
        : bytes.Length == 5 && bytes[0] == 0xe9 ? InstructionClass.Jmp
        : null;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    /// <summary>One <c>bpf_arch_text_poke</c> per request (each takes and drops text_mutex in Linux; here the batch holds it once).</summary>
    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch)
        {
            byte[] now = context.Read(r.Site.Address, r.Site.Length);
            if (!now.AsSpan().SequenceEqual(r.Old)) continue;   // -EBUSY
            if (now.AsSpan().SequenceEqual(r.New)) continue;    // 1: already there
            foreach (var step in IntThreeProtocol.Steps([r], b => _batch = b))
                yield return step;
        }
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) => IntThreeProtocol.EmulateNew(_batch, context);
}
