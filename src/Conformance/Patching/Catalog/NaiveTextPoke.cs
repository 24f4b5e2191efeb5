using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Plain <c>text_poke</c> on live code: the new bytes stored one by one, then a sync. This is what
/// BPF's first <c>bpf_arch_text_poke</c> did after a <c>memcmp</c> (seed 004; sources.md, section b:
/// "The implementation is very much unsafe vs concurrent execution of the text", Peter Zijlstra,
/// LKML 20191108091156.GG4114). Another CPU can execute a mix of old and new bytes.
/// </summary>
public sealed class NaiveTextPoke : IPatcher
{
    public string Name => "naive-text-poke";
    public string Description => "plain byte stores of the new instruction, then sync_core: no int3";
    public string Source => "seed 004 (BPF bpf_arch_text_poke, Nov 2019); sources.md section b";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.TornDecode, "a CPU executing the site between two byte stores decodes neither the old nor the new instruction"),
    ];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(context, batch));

    private IEnumerable<WriterStep> Unlocked(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch)
            for (int i = 0; i < r.New.Length; i++)
                yield return PatchContext.Store(r.Site.Address + (ulong)i, r.New[i]);
        yield return PatchContext.Sync();
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        BreakpointResult.Declined("text_poke writes no int3 and has no #BP handler");
}
