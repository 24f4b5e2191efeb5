using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.PluginExample;

/// <summary>
/// A user's patching scheme, written outside the suite: an int3 over the first byte, sync, the
/// tail, sync, the head, sync; the #BP handler emulates the new call. This is the example the
/// README walks through.
/// </summary>
public sealed class MyRetargetPatcher : IPatcher
{
    private IReadOnlyList<PatchRequest> _batch = [];

    public string Name => "my-retarget";
    public string Description => "example plug-in: int3, tail, head with three syncs; #BP emulates the new instruction";
    public string Source => "README, 'Plug in your own patcher'";
    public IReadOnlyList<Expectation> Expectations { get; } = [Expect.Pass("the int3 protocol with all three syncs")];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        _batch = batch;
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, 0xcc);
        yield return PatchContext.Sync();
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address + 1, r.New[1..]);
        yield return PatchContext.Sync();
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, r.New[0]);
        yield return PatchContext.Sync();
        _batch = [];
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        var request = _batch.FirstOrDefault(r => r.Site.Address == context.TrapAddress);
        return request is null
            ? BreakpointResult.Declined($"no patch of mine at 0x{context.TrapAddress:x}")
            : context.Emulate(request.Site, request.New);
    }
}
