using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linux jump labels (static keys) on x86, arch/x86/kernel/jump_label.c (sources.md h, last
/// paragraph): a key's site holds <c>x86_nops[len]</c> or <c>jmp label</c>, 2 bytes (<c>66 90</c> /
/// <c>eb rel8</c>) or 5 (NOP5 / <c>e9 rel32</c>), the 2-byte form since "jump_label, x86: Add
/// variable length patching support" and "jump_label,x86: Emit short JMP" (Peter Zijlstra, May 2021,
/// LKML 20210506193352.719596001@infradead.org). <c>__jump_label_patch</c> checks that the site holds
/// the expected old instruction and <c>BUG()</c>s otherwise ("jump_label: Fatal kernel bug, unexpected
/// op"); <c>arch_jump_label_transform</c> pokes one site with <c>text_poke_bp(..., NULL)</c>,
/// <c>arch_jump_label_transform_queue</c>/<c>_apply</c> a batch with <c>text_poke_queue</c>/<c>text_poke_finish</c>.
/// The handler emulates the new instruction: the NOP as <c>JMP +0</c>, the jmp as itself.
/// </summary>
/// <remarks>
/// The 2-byte form is <see cref="SiteKind.Short"/> (<c>66 90</c> &lt;-&gt; <c>eb 08</c>, which skips the
/// workload's 8-byte counter after the site); the 5-byte form is <see cref="SiteKind.Jmp"/> (NOP5
/// &lt;-&gt; <c>e9 rel32</c>). A key toggles between its NOP and its one jmp, so a jmp-to-jmp retarget
/// is declined. Before 2019 the handler sent a trapped CPU to <c>site+5</c> (NOP semantics both ways),
/// which is also old-or-new for a nop/jmp pair: <c>text-poke-bp-pre2019</c> covers that form.
/// </remarks>
public sealed class JumpLabel : IPatcher
{
    private PatchRequest[] _batch = [];

    public const string OnlyJumpLabelSites = "jump labels patch only a 2- or 5-byte jmp/NOP site; other sites go through text_poke_bp or static calls";
    public const string OnlyToggles = "a static key toggles its site between the NOP and its one jmp; a retarget or any other change is not a jump label's";

    public string Name => "jump-label";
    public string Description => "static keys: 2- or 5-byte NOP <-> jmp, the old bytes checked (BUG otherwise), through the int3 protocol; #BP emulates the new instruction (NOP as jmp +0)";
    public string Source => "torvalds/linux arch/x86/kernel/jump_label.c __jump_label_patch, arch_jump_label_transform(_queue/_apply); 2-byte form \"jump_label, x86: Add variable length patching support\" (LKML 20210506193352.719596001@infradead.org, 2021); sources.md h";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("the int3 protocol on a NOP/jmp pair: a trapped CPU runs the new instruction (the NOP as jmp +0), the 2-byte form has a 1-byte tail, and no window runs anything but old, new or the trap"),
    ];

    public SiteDecision Accepts(PatchSite site) =>
        site.Kind is SiteKind.Jmp or SiteKind.Short && site.Length is 2 or 5 ? SiteDecision.Accept : SiteDecision.Decline(OnlyJumpLabelSites);

    public SiteDecision Accepts(PatchRequest request)
    {
        if (!Accepts(request.Site).Accepted) return Accepts(request.Site);
        return IsNop(request.Old) && IsJmp(request.Site, request.New) || IsJmp(request.Site, request.Old) && IsNop(request.New)
            ? SiteDecision.Accept
            : SiteDecision.Decline(OnlyToggles);
    }

    /// <summary><c>x86_nops[len]</c>: exactly the NOP the kernel writes for a 2- or 5-byte site.</summary>
    public static bool IsNop(byte[] bytes) => bytes.AsSpan().SequenceEqual(bytes.Length == 2 ? Forms.Nop2 : Forms.Nop5);

    /// <summary><c>eb rel8</c> for a 2-byte site, <c>e9 rel32</c> for a 5-byte one.</summary>
    public static bool IsJmp(PatchSite site, byte[] bytes) =>
        bytes.Length == site.Length && bytes[0] == (site.Length == 2 ? 0xeb : 0xe9) && Forms.Classify(site.Address, bytes) == InstructionClass.Jmp;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        var queued = new List<PatchRequest>();
        foreach (var r in batch)
        {
            byte[] now = context.Read(r.Site.Address, r.Site.Length);
            // static_key_enable/disable on a key already in that state returns before the arch code:
            // the key's state is whether its site jumps (a key has one target, so a rival asking for
            // another jmp of an enabled key finds it enabled).
            if (IsNop(now) == IsNop(r.New) && IsJmp(r.Site, now) == IsJmp(r.Site, r.New)) continue;
            // __jump_label_patch: every entry is checked when it is queued, before the first int3: the site
            // must hold the key's current state, its NOP or its jmp. In the kernel a key has one target,
            // so "its jmp" is one byte string; here a concurrent patch may have enabled the key with a jmp
            // to another of the site's targets, which is still the enabled state (spec/properties.md: a
            // patch reads the text under the lock, not the request's old bytes). Only text that is
            // neither is the kernel's BUG.
            bool expected = IsNop(r.Old) ? IsNop(now) : IsJmp(r.Site, now);
            if (!expected)
                throw new InvalidOperationException(
                    $"jump_label: Fatal kernel bug, unexpected op at {r.Site.Name}: {Forms.Hex(now)}, expected {Forms.Hex(r.Old)} (BUG)");
            queued.Add(r with { Old = now });
        }
        if (queued.Count == 0) yield break;
        foreach (var step in IntThreeProtocol.Steps(queued, b => _batch = b))
            yield return step;
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) => IntThreeProtocol.EmulateNew(_batch, context);
}
