using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// An optimized kprobe (optprobe, arch/x86/kernel/kprobes/opt.c) as a patch path: the probed
/// instruction is copied into a detour buffer followed by <c>jmp site+len</c>
/// (<c>copy_optimized_instructions</c>), the site is replaced by <c>jmp detour</c> through the int3
/// protocol (<c>arch_optimize_kprobes</c>: <c>text_poke_bp(addr, jmp, 5, NULL)</c>), and later the
/// jmp is replaced, again through the int3 protocol, by the new instruction (<c>arch_unoptimize_kprobe</c>
/// writes an instruction back the same way; here the new one). While optimized, a CPU at the site
/// jumps to the detour and runs the original out of line.
/// </summary>
/// <remarks>
/// Only relocatable, "boostable" instructions may be copied: <c>copy_optimized_instructions</c>
/// refuses any that <c>can_boost</c> refuses, among them e8/e9/eb (a call run from the detour would
/// push the detour's address). Such a site stays a plain int3 kprobe (<see cref="Kprobe"/>), and so
/// does a site shorter than the 5-byte jmp. The detour's probe callback (save registers, call
/// <c>optimized_callback</c>, restore) changes nothing the properties see and is left out. The
/// <c>jmp detour</c> at the site is neither the old nor the new instruction: it is declared as a
/// holding instruction when its detour is made (it depends on where the detour goes).
/// </remarks>
public sealed class KprobeOptimized : IPatcher
{
    private readonly List<HoldingInstruction> _holding = [];
    private PatchRequest[] _batch = [];
    private readonly Dictionary<ulong, byte[]> _emulate = new();   // lookups by site address only

    public const string TooShort = "a site shorter than a jmp rel32 cannot hold the jmp to a detour: stays an int3 kprobe";
    public const string NotBoostable = "can_boost() refuses the original (a relative call or jmp, or not a NOP here): it cannot run from a detour; stays an int3 kprobe";

    public string Name => "kprobe-optimized";
    public string Description => "optprobe: original copied to a detour + jmp back; site -> jmp detour through the int3 protocol, then jmp detour -> new the same way";
    public string Source => "torvalds/linux arch/x86/kernel/kprobes/opt.c (arch_optimize_kprobes, arch_unoptimize_kprobe, copy_optimized_instructions) and core.c can_boost; sources.md a.2 (optprobes passed the detour as text_poke_bp's handler)";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("every instruction at the site is the original, the int3, the jmp to a detour that runs the original and jumps back to site+len, or the new one; each change goes through the int3 protocol"),
    ];

    public IReadOnlyList<byte[]> HoldingInstructions => _holding.Select(h => h.Bytes).ToArray();
    public IReadOnlyList<HoldingInstruction> HoldingAt => _holding;

    public SiteDecision Accepts(PatchSite site) => site.Length < 5 ? SiteDecision.Decline(TooShort) : SiteDecision.Accept;

    public SiteDecision Accepts(PatchRequest request) =>
        !Accepts(request.Site).Accepted ? Accepts(request.Site)
        : Forms.Classify(request.Site.Address, request.Old) == InstructionClass.Nop ? SiteDecision.Accept
        : SiteDecision.Decline(NotBoostable);

    /// <summary>The detour at <paramref name="detour"/>: the original instruction byte for byte, then <c>jmp site+len</c>.</summary>
    public static byte[] Detour(PatchSite site, byte[] original, ulong detour) =>
        [.. original, .. Forms.Jmp(detour + (ulong)original.Length, site.Next)];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        var sorted = batch.OrderBy(r => r.Site.Address).ToArray();
        var optimize = new List<PatchRequest>();
        var unoptimize = new List<PatchRequest>();
        foreach (var r in sorted)
        {
            // The probe copies what the site holds now; an instruction that cannot run from a detour
            // (another patch made it a call, say) is not optimized: that site is one plain text_poke_bp.
            byte[] now = context.Read(r.Site.Address, r.Site.Length);
            if (Forms.Classify(r.Site.Address, now) != InstructionClass.Nop)
            {
                unoptimize.Add(r with { Old = now });
                continue;
            }
            ulong detour = context.Stubs.Allocate();
            yield return PatchContext.Store(detour, Detour(r.Site, now, detour));
            byte[] jmp = [.. Forms.Jmp(r.Site.Address, detour), .. now[5..]];   // a 6-byte site keeps its last byte
            _holding.Add(new HoldingInstruction(Forms.Jmp(r.Site.Address, detour)));
            // The optimizing poke writes only the jmp's five bytes: a 6-byte site's last byte is left
            // as it is, not rewritten (a store of it would be a byte the patch does not own).
            optimize.Add(new PatchRequest(r.Site, now, jmp[..5]));
            unoptimize.Add(new PatchRequest(r.Site, jmp, r.New));
        }
        // Optimize: site -> jmp detour (the handler emulates the jmp, into the detour).
        if (optimize.Count > 0)
            foreach (var step in Poke(optimize)) yield return step;
        // Unoptimize into the new instruction: jmp detour -> new.
        foreach (var step in Poke(unoptimize)) yield return step;
    }

    /// <summary>The int3 protocol over <paramref name="pokes"/>, whose handler emulates each one's new instruction.</summary>
    private IEnumerable<WriterStep> Poke(IReadOnlyList<PatchRequest> pokes)
    {
        // A 6-byte site's jmp detour is followed by the old last byte: the handler emulates the jmp itself.
        foreach (var r in pokes)
            _emulate[r.Site.Address] = r.New.Length > 5 && Forms.Classify(r.Site.Address, r.New) == InstructionClass.Other ? r.New[..5] : r.New;
        foreach (var step in IntThreeProtocol.Steps(pokes, b => _batch = b)) yield return step;
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"no site being poked starts at 0x{context.TrapAddress:x}");
        return context.Emulate(r.Site, _emulate[r.Site.Address]);
    }
}
