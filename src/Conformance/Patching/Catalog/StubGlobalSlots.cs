using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// The Nov 2018 static-call RFC (Josh Poimboeuf; sources.md c.2, end): one shared stub
/// <c>static_call_bp_handler: call *bp_handler_dest; jmp *bp_handler_continue</c> reading two
/// global variables, set before a pre-2019 <c>text_poke_bp(insn, opcodes, 5, static_call_bp_handler)</c>
/// whose #BP handler redirects RIP to the stub.
/// </summary>
/// <remarks>
/// The two globals are 8-byte data slots the patcher owns at <see cref="DestSlot"/> and
/// <see cref="ContinueSlot"/>, in the workload's data region past every target counter (counters
/// use the first 0x200 bytes): data is what the RFC used (plain <c>.data</c> variables), and the
/// stub reads them with ordinary loads. The stub itself is kernel text in the RFC; here it is
/// written once, into stub slot 0, by the first patch that finds it missing.
/// The flaw: a task preempted inside the callee returns into the stub and only then reads
/// <c>bp_handler_continue</c>, which a later patch may have changed.
/// </remarks>
public sealed class StubGlobalSlots : IPatcher
{
    /// <summary>The <c>bp_handler_dest</c> and <c>bp_handler_continue</c> globals.</summary>
    public const ulong DestSlot = Workload.DataBase + 0x800, ContinueSlot = DestSlot + 8;

    /// <summary>The stub: <c>call qword [DestSlot]; jmp qword [ContinueSlot]</c> (7 + 7 bytes).</summary>
    public static byte[] Stub { get; } = [.. StubCode.CallIndirect(DestSlot), .. StubCode.JmpIndirect(ContinueSlot)];

    private PatchRequest[] _batch = [];
    private ulong _stub;

    public string Name => "stub-global-slots";
    public string Description => "shared stub 'call [dest]; jmp [continue]' over two global slots; pre-2019 int3 protocol redirecting to it";
    public string Source => "static calls RFC, Nov 2018 (Josh Poimboeuf): static_call_bp_handler with bp_handler_dest / bp_handler_continue; sources.md c.2";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.ReusedStub,
            "a task preempted inside the callee returns into the shared stub and reads bp_handler_continue after a later patch changed it: it resumes after the other site"),
    ];

    /// <summary>The handler never pushes (it only redirects), and the RFC predates the entry gap.</summary>
    public int BreakpointStackGap => 0;

    public SiteDecision Accepts(PatchRequest request) => StubCode.Supports(request);

    /// <summary>The next patch rewrites the same stub slot.</summary>
    public bool ReusesStubs => true;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        _stub = context.Stubs.Slot(0);
        if (!context.Read(_stub, Stub.Length).AsSpan().SequenceEqual(Stub))
            foreach (var step in StubCode.StoreInstructions(_stub, Stub))
                yield return step;
        foreach (var r in batch.OrderBy(r => r.Site.Address))
        {
            if (StubCode.DirectRedirect(Name, r) is null)
            {
                yield return PatchContext.Store(DestSlot, BitConverter.GetBytes(StubCode.CallTarget(r)));   // bp_handler_dest = dest
                yield return PatchContext.Store(ContinueSlot, BitConverter.GetBytes(r.Site.Next));         // bp_handler_continue = insn + 5
            }
            foreach (var step in IntThreeProtocol.Steps([r], b => _batch = b))
                yield return step;
        }
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (IntThreeProtocol.Find(_batch, context.TrapAddress) is not { } r)
            return BreakpointResult.Declined($"bp_int3_addr is not 0x{context.TrapAddress + 1:x}");
        context.Rip = StubCode.DirectRedirect(Name, r) ?? _stub;   // regs->ip = static_call_bp_handler
        return BreakpointResult.Claimed;
    }
}
