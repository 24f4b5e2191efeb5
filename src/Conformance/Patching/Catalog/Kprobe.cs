using Conformance.Machine;
using Iced.Intel;

namespace Conformance.Patching.Catalog;

/// <summary>
/// A patch made through a kprobe (x86 kprobes, arch/x86/kernel/kprobes/core.c; the djprobes design of
/// 2006 and Mathieu Desnoyers' immediate values, sources.md a.1): an int3 over the first byte whose
/// handler runs the <b>original</b> instruction, sync, the new tail, sync, the new first byte
/// (the probe removed into the new instruction), sync. The handler runs the copy the probe took
/// when it was armed: a call, jmp or ret is emulated (<c>prepare_emulation</c>:
/// <c>kprobe_emulate_call</c> pushes <c>site + len</c>, as <c>int3_emulate_call</c> does), anything
/// else is executed out of line: RIP is pointed at an instruction slot holding a copy of the
/// original instruction followed by <c>jmp site+len</c> (a "boosted" probe: <c>can_boost</c>).
/// </summary>
/// <remarks>
/// A relative call copied out of line would push the slot's next address, not the site's: the
/// callee would see a wrong return address (and return into the slot). Linux never runs one there:
/// <c>can_boost</c> refuses e8/e9/eb, and since "x86/kprobes: Use int3 instead of debug trap for
/// single-step" (Masami Hiramatsu, 2021) they are emulated; before it, <c>resume_execution</c> fixed
/// the pushed address after the single-step (<c>*tos = orig_ip + (*tos - copy_ip)</c>).
/// <see cref="CopyBranchesOutOfLine"/> makes the wrong variant for tests. Slots are never reused
/// (Linux frees them after an RCU-tasks grace period).
/// </remarks>
public sealed class Kprobe : IPatcher
{
    /// <summary>One armed probe: the original instruction, and its slot when it runs out of line (0: emulated).</summary>
    public sealed record Probe(PatchRequest Request, ulong Slot)
    {
        public bool Emulated => Slot == 0;
    }

    private readonly Dictionary<ulong, Probe> _probes = new();   // lookups by trap address only
    private PatchRequest[] _batch = [];

    public Kprobe() { }

    /// <summary>The variant that copies relative branches out of line too (a test's mutant: the wrong return address).</summary>
    internal Kprobe(bool copyBranchesOutOfLine) => CopyBranchesOutOfLine = copyBranchesOutOfLine;

    internal bool CopyBranchesOutOfLine { get; }

    public const string RipRelative = "a RIP-relative instruction needs its displacement fixed in the copy: not modelled; falls back to text_poke_bp";

    public string Name => "kprobe";
    public string Description => "int3 whose handler runs the original instruction (call/jmp/ret emulated, others single-stepped out of line: copy + jmp back), sync, new tail, sync, new head, sync";
    public string Source => "torvalds/linux arch/x86/kernel/kprobes/core.c (prepare_emulation, kprobe_emulate_call, can_boost; \"x86/kprobes: Use int3 instead of debug trap for single-step\", 2021); djprobes and immediate values (sources.md a.1)";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("a trapped CPU runs the original instruction: a call emulated with the site's return address, anything else copied out of line and jumping back to site+len; the tail is written while nobody can start the instruction"),
    ];

    public SiteDecision Accepts(PatchRequest request) =>
        Decode(request.Site.Address, request.Old) is { IsIPRelativeMemoryOperand: true } ? SiteDecision.Decline(RipRelative) : SiteDecision.Accept;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        // register_kprobe: decode the original, prepare its emulation or its instruction slot.
        // The probe copies what the site holds now (the request's old instruction, or what a patch
        // that took text_mutex first left there).
        foreach (var request in batch.OrderBy(r => r.Site.Address))
        {
            var r = request with { Old = context.Read(request.Site.Address, request.Site.Length) };
            if (Emulates(r.Site, r.Old))
            {
                _probes[r.Site.Address] = new Probe(r, 0);
                continue;
            }
            ulong slot = context.Stubs.Allocate();
            _probes[r.Site.Address] = new Probe(r, slot);
            yield return PatchContext.Store(slot, OutOfLine(r.Site, r.Old, slot));
        }
        // arm (int3), sync, the new tail, sync, disarm into the new first byte, sync.
        foreach (var step in IntThreeProtocol.Steps(batch, b => _batch = b))
            yield return step;
        foreach (var r in batch) _probes.Remove(r.Site.Address);
    }

    /// <summary>Whether the handler emulates <paramref name="instruction"/> rather than running it out of line (Linux: call, jmp, ret).</summary>
    public bool Emulates(PatchSite site, byte[] instruction) =>
        !CopyBranchesOutOfLine && Forms.Classify(site.Address, instruction) is InstructionClass.Call or InstructionClass.Jmp or InstructionClass.Ret;

    /// <summary>
    /// The instruction slot: the original instruction copied to <paramref name="slot"/> (a relative
    /// branch re-encoded with Iced so it keeps its target; anything else byte for byte, as
    /// <c>__copy_instruction</c>'s memcpy), then <c>jmp site+len</c>.
    /// </summary>
    public static byte[] OutOfLine(PatchSite site, byte[] instruction, ulong slot)
    {
        var i = Decode(site.Address, instruction) ?? throw new ArgumentException($"{Forms.Hex(instruction)} at {site.Name} does not decode");
        byte[] copy = Forms.Classify(site.Address, instruction) switch
        {
            InstructionClass.Call => Forms.Call(slot, i.NearBranch64),
            InstructionClass.Jmp => Forms.Jmp(slot, i.NearBranch64),
            _ => instruction[..i.Length],
        };
        return [.. copy, .. Forms.Jmp(slot + (ulong)copy.Length, site.Next)];
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is null || !_probes.TryGetValue(context.TrapAddress, out var probe))
            return BreakpointResult.Declined($"no kprobe at 0x{context.TrapAddress:x}");
        var r = probe.Request;
        if (probe.Emulated) return context.Emulate(r.Site, r.Old);   // kprobe_emulate_call/jmp/ret: as if at the site
        context.Rip = probe.Slot;                                    // single-step out of line (boosted: the slot jumps back)
        return BreakpointResult.Claimed;
    }

    private static Instruction? Decode(ulong at, byte[] bytes) => Forms.Decode(at, bytes);
}
