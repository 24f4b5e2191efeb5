using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>The correct int3 protocol, plus a <c>ret</c> stored over call target 0 before it starts: a write outside what it owns (test-only).</summary>
public sealed class RetOverCallTarget : IPatcher
{
    private PatchRequest[] _batch = [];
    public string Name => "test-ret-over-call-target";
    public string Description => "text-poke-bp that also stores ret over call target 0 (test-only)";
    public string Source => "tests: issue 11, item 4";
    public IReadOnlyList<Expectation> Expectations { get; } = [Expect.Pass("claims to be correct; the write guard says otherwise")];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) =>
        TextMutex.Held(Stray(batch));

    private IEnumerable<WriterStep> Stray(IReadOnlyList<PatchRequest> batch)
    {
        yield return PatchContext.Store(Workload.CallTarget(0), 0xc3);
        foreach (var step in IntThreeProtocol.Steps(batch, b => _batch = b)) yield return step;
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) => IntThreeProtocol.EmulateNew(_batch, context);
}

/// <summary>
/// A hot-patch (Windows' <c>mov edi, edi</c> entries): the long <c>jmp</c> into the 5 padding bytes
/// before the 2-byte entry, sync, then <c>jmp $-5</c> over the entry in one 2-byte store, sync
/// (test-only). <see cref="SyncAfterPadding"/> false is the broken variant: a CPU may take the new
/// short jmp and still fetch the padding's old bytes.
/// </summary>
public class HotPatcher : IPatcher
{
    public virtual string Name => "test-hot-patch";
    public string Description => "long jmp into the padding, sync, 2-byte jmp $-5 over the entry, sync (test-only)";
    public string Source => "tests: issue 13, item 7 (Windows hot-patching)";
    public virtual IReadOnlyList<Expectation> Expectations { get; } = [Expect.Pass("the padding is written and synced before any CPU can jump to it")];
    protected virtual bool SyncAfterPadding => true;

    public SiteDecision Accepts(PatchSite site) => site.Length == 2 ? SiteDecision.Accept : SiteDecision.Decline("only 2-byte entries");

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(batch));

    private IEnumerable<WriterStep> Unlocked(IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch)
            foreach (var p in r.Padding) yield return PatchContext.Store(p.Address, p.Bytes);
        if (SyncAfterPadding) yield return PatchContext.Sync();
        foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, r.New);
        yield return PatchContext.Sync();
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("a hot-patch writes no int3");
}

/// <summary>The hot-patch without the sync after the padding (test-only).</summary>
public sealed class HotPatcherWithoutPaddingSync : HotPatcher
{
    public override string Name => "test-hot-patch-no-padding-sync";
    public override IReadOnlyList<Expectation> Expectations { get; } = [Expect.Fail(FailureKind.WrongTarget, "a CPU can take the new short jmp and read the padding stale")];
    protected override bool SyncAfterPadding => false;
}

/// <summary>
/// The 8-byte atomic scheme with an interlocked compare-and-exchange: the site and the 3 bytes after
/// it are exchanged only if they still hold what was read (test-only).
/// </summary>
public sealed class CmpxchgPatcher : IPatcher
{
    public string Name => "test-cmpxchg8";
    public string Description => "lock cmpxchg of the 8 bytes at an aligned site (test-only)";
    public string Source => "tests: issue 13, item 7";
    public IReadOnlyList<Expectation> Expectations { get; } = [Expect.Pass("one event") with { Models = ["atomic"] }];
    public List<WriterStep.CompareExchange> Exchanges { get; } = [];

    public SiteDecision Accepts(PatchSite site) => site.Address % 8 == 0 && site.Length <= 8 ? SiteDecision.Accept : SiteDecision.Decline("unaligned");
    public IReadOnlyList<CodeRange> OwnedBytes(PatchRequest request) => [new CodeRange(request.Site.Next, 8 - request.Site.Length, "the bytes after the site")];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch)
        {
            var old = context.Read(r.Site.Address, 8);
            var x = PatchContext.CompareExchange(r.Site.Address, old, [.. r.New, .. old[r.Site.Length..]]);
            Exchanges.Add(x);
            yield return x;
        }
        yield return PatchContext.Sync();
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("writes no int3");
}

/// <summary>The int3 protocol whose batch is the patcher's own: published under the lock, retracted before it is released (test-only).</summary>
public sealed class PublishingPatcher : IPatcher
{
    public string Name => "test-publishing";
    public string Description => "text-poke-bp that publishes and retracts its batch itself (test-only)";
    public string Source => "tests: issue 13, item 7";
    public IReadOnlyList<Expectation> Expectations { get; } = [Expect.Pass("text-poke-bp")];
    public List<int> ActiveSeen { get; } = [];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private static IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        context.Publish(batch);
        foreach (var step in IntThreeProtocol.Steps(batch, _ => { })) yield return step;
        context.Retract();
    }

    // The handler uses only what the rig says is active.
    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        ActiveSeen.Add(context.Active.Count);
        return context.Request is { } r ? context.Emulate(r.Site, r.New) : BreakpointResult.Declined("no active patch here");
    }
}
