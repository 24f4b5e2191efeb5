using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// The "R10/R11" call emulation floated by Nadav Amit and Steven Rostedt in 2019 (seed 003;
/// sources.md d, reconstructed: the original mail was not retrieved). The modern int3 protocol,
/// but a #BP handler that must emulate a call does not touch the stack: it puts the return address
/// in R10 and the target in R11 and resumes at a thunk <c>push %r10; jmp *%r11</c>. R10 and R11 are
/// scratch registers of the C ABI that carry no arguments, so a C caller cannot miss them; a
/// paravirt callee-saved call site (only RAX may change) can.
/// </summary>
public sealed class R10R11Divert : IPatcher
{
    /// <summary><c>push %r10; jmp *%r11</c>.</summary>
    public static readonly byte[] Thunk = [0x41, 0x52, 0x41, 0xff, 0xe3];

    private PatchRequest[] _batch = [];
    private ulong _thunk;

    public string Name => "r10-r11-divert";
    public string Description => "int3 / sync / tails / sync / heads / sync; #BP emulates a call as r10 = return, r11 = target, resume at push r10; jmp *r11";
    public string Source => "Nadav Amit / Steven Rostedt, 2019 (proposal not retrieved; sources.md d); seed 003";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.ClobberedRegister, "a callee-saved (paravirt) call site may keep live values in r10/r11, which the handler overwrites")
            with { Abi = Abi.CalleeSaved, Transitions = IntoCall },
        Expect.Pass("r10 and r11 are scratch, non-argument registers of the C ABI: a C caller cannot depend on them across a call"),
    ];

    /// <summary>The thunk's address once written (0 before the first patch).</summary>
    public ulong ThunkAddress => _thunk;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        if (_thunk == 0)
        {
            _thunk = context.Stubs.Allocate();
            yield return PatchContext.Store(_thunk, Thunk);
            yield return PatchContext.Sync();   // every CPU sees the thunk before a handler can send it there
        }
        foreach (var step in IntThreeProtocol.Steps(batch, b => _batch = b))
            yield return step;
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"no site of the batch starts at 0x{context.TrapAddress:x}");
        if (Forms.Classify(r.Site.Address, r.New) != InstructionClass.Call)
            return context.Emulate(r.Site, r.New);   // jmp, nop, ret: as text-poke-bp
        context[Gpr.R10] = r.Site.Next;
        context[Gpr.R11] = Forms.Target(r.Site.Address, r.New)!.Value;
        context.Rip = _thunk;
        return BreakpointResult.Claimed;
    }

    /// <summary>Every transition whose new instruction is a call (the only ones that reach the thunk).</summary>
    private static Transition[] IntoCall => Enum.GetValues<InstructionClass>().Select(from => Expect.T(from, InstructionClass.Call)).ToArray();
}
