using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// V8's WebAssembly jump table on x64 (src/wasm/jump-table-assembler.h and .cc, as in
/// nodejs/node deps/v8): one 5-byte slot per function, <c>jmp rel32</c> to the function's current
/// code, which wasm code calls. The table is split into 64-byte lines (<c>kJumpTableLineSize</c>)
/// of 12 slots (<c>kJumpTableSlotSize</c> 5) and 4 bytes of padding, "to ensure that the instruction
/// containing the call target does not cross cache-line boundaries". <c>PatchJumpTableSlot</c>
/// re-emits the slot in place while other threads run it: <c>near_jmp</c> stores the <c>e9</c> and
/// then the rel32 (one 4-byte store), and <c>FlushInstructionCache</c> is a no-op on x64 ("on Intel
/// platforms, this all works out of the box because there is cache coherency between i-cache and d-cache").
/// </summary>
/// <remarks>
/// A slot sits at line offset 5k, k = 0..11, so the store is one event and the slot lies in one
/// 64-byte line, but slots 3, 6 and 9 (offsets 15, 30, 45) cross a 16-byte block and slot 6 a
/// 32-byte one. A fetch that reads the two parts at different moments meets a rel32 that is half old,
/// half new where the boundary falls inside it (offsets 30 and 45; at 15 the boundary falls after the
/// unchanged <c>e9</c>). One sync at the end (V8 has none: a thread may run the old target for a
/// while, which V8 accepts), as aligned-rel32 has, so the patch is complete when the patcher returns (P3).
/// </remarks>
public sealed class V8JumpTable : IPatcher
{
    public const int LineSize = 64, SlotSize = 5, SlotsPerLine = LineSize / SlotSize;

    /// <summary>The lock V8 patches under (the native module's allocation mutex).</summary>
    public const string Lock = "NativeModule::allocation_mutex_";

    public const string NotASlot = "not a jump-table slot: V8 places slot k of a line at line + 5k (12 per 64-byte line, 4 bytes of padding), so no slot crosses a line; other sites are not V8's";
    public const string JmpOnly = "a jump-table slot always holds jmp rel32 (to the lazy-compile table or to code): only a retarget";

    public string Name => "v8-jump-table";
    public string Description => "V8 wasm jump table: 5-byte jmp slots kept inside 64-byte lines, retargeted in place by a store of e9 and one 4-byte store of the rel32; no int3";
    public string Source => "v8 src/wasm/jump-table-assembler.h/.cc (nodejs/node deps/v8): PatchJumpTableSlot, EmitJumpSlot, kJumpTableLineSize 64, kJumpTableSlotSize 5 on x64";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("each store is one event inside one 64-byte line, and a fetch that reads the whole slot at one moment sees the old or the new jmp")
            with { Models = ["atomic", "block64"] },
        Expect.Fail(FailureKind.TornDecode,
            "slots at line offsets 30 (and 45) cross a 32- (16-) byte block inside the rel32: a fetch reading the two blocks at different moments decodes a jmp half to the old, half to the new target")
            with { Models = ["block32", "block16", "architectural"] },
    ];

    /// <summary>Whether <paramref name="address"/> is where a jump-table slot starts (line offset 5k, k &lt; 12).</summary>
    public static bool IsSlot(ulong address) => address % LineSize % SlotSize == 0 && address % LineSize / SlotSize < SlotsPerLine;

    public SiteDecision Accepts(PatchSite site) =>
        site.Kind is SiteKind.Jmp or SiteKind.Trampoline && site.Length == SlotSize && IsSlot(site.Address) ? SiteDecision.Accept : SiteDecision.Decline(NotASlot);

    public SiteDecision Accepts(PatchRequest request) =>
        !Accepts(request.Site).Accepted ? Accepts(request.Site)
        : request.Old[0] == 0xe9 && request.New[0] == 0xe9 && Forms.Classify(request.Site.Address, request.New) == InstructionClass.Jmp ? SiteDecision.Accept
        : SiteDecision.Decline(JmpOnly);

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        yield return new WriterStep.Acquire(Lock);
        foreach (var r in batch)
        {
            yield return PatchContext.Store(r.Site.Address, r.New[0]);        // near_jmp: emit(0xE9)
            yield return PatchContext.Store(r.Site.Address + 1, r.New[1..]);  // emitl(disp): one 4-byte store
        }
        yield return PatchContext.Sync();   // not V8's: so that the patch is complete when the patcher returns (P3)
        yield return new WriterStep.Release(Lock);
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        BreakpointResult.Declined($"{Name} writes no int3 and has no #BP handler");
}
