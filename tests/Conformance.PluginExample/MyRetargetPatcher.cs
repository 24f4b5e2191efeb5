using Conformance.Machine;
using Conformance.Patching;

namespace MyRetarget;

/// <summary>
/// Your live-patching scheme (start from this one): under text_mutex, an int3 over the first byte
/// of every site, sync; every tail, sync; every first byte, sync. The batch is published for the
/// #BP handler while the patch runs and retracted after it; the handler emulates the new instruction.
/// </summary>
public sealed class MyRetargetPatcher : IPatcher
{
    public string Name => "my-retarget";
    public string Description => "int3, tail, head with three syncs under text_mutex; #BP emulates the new instruction";
    public string Source => "my design notes";
    public IReadOnlyList<Expectation> Expectations { get; } = [Expect.Pass("the int3 protocol with all three syncs")];

    // Every yielded step is one scheduling point on the patching CPU; other CPUs run in between.
    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) =>
        TextMutex.Held(Patch(context, batch, syncAfterTails: true));

    /// <summary>The protocol; <paramref name="syncAfterTails"/> false is the broken variant's.</summary>
    internal static IEnumerable<WriterStep> Patch(PatchContext context, IReadOnlyList<PatchRequest> batch, bool syncAfterTails)
    {
        context.Publish(batch);   // under text_mutex: concurrent patches never share a batch
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, 0xcc);
        yield return PatchContext.Sync();
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address + 1, r.New[1..]);
        if (syncAfterTails) yield return PatchContext.Sync();
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, r.New[0]);
        yield return PatchContext.Sync();
        context.Retract();
    }

    // Runs on any CPU that hits your int3, with the trap frame in memory (like pt_regs).
    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        context.Request is { } r ? context.Emulate(r.Site, r.New) : BreakpointResult.Declined($"no patch of mine at 0x{context.TrapAddress:x}");
}
