using Conformance.Machine;

namespace Conformance.Patching.Mutants;

/// <summary>
/// The head written before the tail (steps 2 and 3 swapped): for a NOP becoming a call, memory holds
/// <c>e8</c> followed by the NOP's bytes. The order every version of the protocol keeps: djprobes'
/// "Write only the destination address part ... Call 'cpuid' on each processor ... then write the
/// first byte" (Masami Hiramatsu, 2006; sources.md a.1) and a.3 steps 4 and 6.
/// </summary>
public sealed class TextPokeBpHeadBeforeTail : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-head-before-tail";
    protected override string What => "head and tail writes swapped";
    public override string Source => "djprobes design FAQ (Masami Hiramatsu, 2006: the tail first, then cpuid on each CPU, then the first byte; sources.md a.1); alternative.c steps 2-3 (sources.md a.3)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.TornDecode, "with the new first byte over the old tail, memory itself holds neither instruction"),
    ];

    protected override IEnumerable<WriterStep> Mutate(List<WriterStep> steps)
    {
        // int3s, sync, TAILS, sync, HEADS, sync  ->  int3s, sync, HEADS, sync, TAILS, sync
        int s1 = SyncIndex(steps, 0), s2 = SyncIndex(steps, 1), s3 = SyncIndex(steps, 2);
        var tails = steps.GetRange(s1 + 1, s2 - s1 - 1);
        var heads = steps.GetRange(s2 + 1, s3 - s2 - 1);
        return [.. steps.GetRange(0, s1 + 1), .. heads, steps[s2], .. tails, steps[s3]];
    }
}
