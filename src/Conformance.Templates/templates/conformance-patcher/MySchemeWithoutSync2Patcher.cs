using Conformance.Machine;
using Conformance.Patching;

namespace MyScheme;

/// <summary>
/// The broken variant: without the sync after the tails, a CPU can fetch the new first byte with
/// a stale tail (Rostedt's "e8 ab 02 03 04"). It declares where it fails, and the tests assert the
/// suite catches it there: they go red the day the suite stops catching it.
/// </summary>
public sealed class MySchemeWithoutSync2Patcher : IPatcher
{
    public string Name => "my-scheme-without-sync2";
    public string Description => "my-scheme without the sync after the tails (known broken)";
    public string Source => "my design notes: what happens without sync #2";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("one moment per instruction: the tail was written before the head") with { Models = ["atomic"] },
        Expect.Fail(FailureKind.TornDecode, "the new first byte can meet a stale tail"),
    ];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) =>
        TextMutex.Held(MySchemePatcher.Patch(context, batch, syncAfterTails: false));

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        context.Request is { } r ? context.Emulate(r.Site, r.New) : BreakpointResult.Declined($"no patch of mine at 0x{context.TrapAddress:x}");
}
