namespace Conformance.Patching.Mutants;

/// <summary>
/// text-poke-bp without text_mutex: two callers patching one site at once interleave their int3s,
/// tails and heads (and overwrite each other's published batch), so the site can end as one
/// caller's first byte over the other's tail: Peter Zijlstra's "what ensures every instruction only
/// has a single modifier?" (LKML 20191108091156.GG4114@hirez.programming.kicks-ass.net; sources.md b).
/// </summary>
public sealed class TextPokeBpWithoutTextMutex : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-no-text-mutex";
    protected override string What => "text_mutex not taken";
    public override string Source => "Peter Zijlstra, \"what ensures every instruction only has a single modifier?\", LKML 20191108091156.GG4114@hirez.programming.kicks-ass.net (sources.md b, a.6 A4)";
    protected override bool TakesTextMutex => false;
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.MixedWriters, "two unserialized patches of one site leave a mix of their bytes"),
    ];
}
