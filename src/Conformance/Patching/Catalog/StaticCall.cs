using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linux static calls on x86, merged in 5.10 (torvalds/linux arch/x86/kernel/static_call.c,
/// arch/x86/include/asm/static_call.h; seed 000; sources.md h): <c>arch_static_call_transform</c>
/// rewrites the out-of-line trampoline first (<c>e9 rel32</c> followed by the signature
/// <c>0f b9 cc</c>, checked before patching), then each inline call site, each one with its own
/// <c>text_poke_bp</c> whose #BP handler emulates the new instruction. NULL makes a site a NOP5
/// and a trampoline <c>c3 cc cc cc cc</c>. "Return 0" makes a call site <c>2e 2e 2e 31 c0</c>
/// (<c>cs cs cs xor eax,eax</c>) and passes <c>emulate = call __static_call_return0</c>: the
/// handler runs a different but equivalent instruction, declared in <see cref="Return0Equivalence"/>.
/// </summary>
/// <remarks>
/// <c>__static_call_return0</c> is kernel text in Linux; here it is the function <c>31 c0 c3</c>
/// (<c>xor eax,eax; ret</c>) the steps write into stub slot <see cref="Return0Slot"/> before the
/// first int3 of a batch that needs it. Unchanged sites are skipped, as Linux's
/// <c>memcmp(insn, code, size) == 0</c> does.
/// </remarks>
public sealed class StaticCall : IPatcher
{
    /// <summary>A declared equivalence: the handler emulates <see cref="EmulatedAs"/> for <see cref="Instruction"/>.</summary>
    public sealed record Equivalence(byte[] Instruction, string EmulatedAs, byte[] Function, string Why)
    {
        public override string ToString() => $"{Forms.Hex(Instruction)} == {EmulatedAs} ({Forms.Hex(Function)}): {Why}";
    }

    /// <summary><c>cs cs cs xor eax,eax</c>: the 5-byte "return 0" call site (xor5rax).</summary>
    public static readonly byte[] Xor5Rax = [0x2e, 0x2e, 0x2e, 0x31, 0xc0];

    /// <summary><c>__static_call_return0</c>: <c>xor eax,eax; ret</c>.</summary>
    public static readonly byte[] Return0Function = [0x31, 0xc0, 0xc3];

    /// <summary>The stub slot that holds <c>__static_call_return0</c>.</summary>
    public const int Return0Slot = 0;

    /// <summary>The trampoline signature after its <c>jmp</c>: <c>ud1 %esp,%ecx</c>.</summary>
    public static readonly byte[] TrampolineSignature = [0x0f, 0xb9, 0xcc];

    /// <summary>
    /// The emulation this patcher declares equivalent: at a call site becoming <see cref="Xor5Rax"/>,
    /// a trapped CPU runs <c>call __static_call_return0</c> instead (<c>__sc_insn</c> passes it as
    /// <c>emulate</c> to <c>text_poke_bp</c>).
    /// </summary>
    public static readonly Equivalence Return0Equivalence = new(Xor5Rax, "call __static_call_return0", Return0Function,
        "both leave RAX = 0 (a 32-bit xor zero-extends), the flags of xor eax,eax, every other register as it was, and continue at site+5; " +
        "the call only uses the stack below RSP, which x86-64 kernel code keeps nothing in (no red zone)");

    private PatchRequest[] _batch = [];
    private readonly Dictionary<ulong, byte[]> _emulate = new();

    public string Name => "static-call";
    public string Description => "static_call_update: trampoline then inline sites, each by text_poke_bp emulating the new instruction (return-0 as a call)";
    public string Source => "torvalds/linux arch/x86/kernel/static_call.c (merged 5.10): __static_call_transform, __sc_insn, __static_call_validate; seed 000; sources.md h";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("every site goes through the int3 protocol and a trapped CPU runs the new instruction, or for return-0 its declared equivalent call"),
    ];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        ulong return0 = context.Stubs.Slot(Return0Slot);
        // Trampolines first, then the inline sites: code still calling the trampoline then goes to the new function too.
        var ordered = batch.OrderBy(r => r.Site.Kind == SiteKind.Trampoline ? 0 : 1).ThenBy(r => r.Site.Address).ToArray();
        foreach (var r in ordered)
        {
            if (r.Site.Kind == SiteKind.Trampoline && !context.Read(r.Site.Next, 3).AsSpan().SequenceEqual(TrampolineSignature))
                throw new InvalidOperationException($"trampoline signature fail at {r.Site} (BUG)");   // __static_call_validate
            if (context.Read(r.Site.Address, r.Site.Length).AsSpan().SequenceEqual(r.New)) continue;   // memcmp(insn, code, size) == 0
            byte[] emulate = r.New;
            if (r.Site.Kind != SiteKind.Trampoline && r.New.AsSpan().SequenceEqual(Xor5Rax))
                emulate = Forms.Call(r.Site.Address, return0);
            if (emulate != r.New || Forms.Target(r.Site.Address, r.New) == return0)
                if (!context.Read(return0, Return0Function.Length).AsSpan().SequenceEqual(Return0Function))
                    yield return PatchContext.Store(return0, Return0Function);
            _emulate[r.Site.Address] = emulate;
            foreach (var step in IntThreeProtocol.Steps([r], b => _batch = b))
                yield return step;
        }
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"no site being patched starts at 0x{context.TrapAddress:x}");
        return context.Emulate(r.Site, _emulate[r.Site.Address]);   // the new instruction, or the declared emulation
    }
}
