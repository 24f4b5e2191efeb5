namespace Conformance.Patching.Mutants;

/// <summary>
/// text-poke-bp without sync #3 (after the heads): the patcher returns, and releases its batch,
/// while a CPU may still fetch the int3 (which no batch claims any more) or the old bytes.
/// Assumption A3 of sources.md a.6: "After sync #3, every CPU sees the new first byte, and every #BP
/// handler that was in flight for this batch has finished" (285a54efe386's reasoning).
/// </summary>
public sealed class TextPokeBpWithoutSync3() : TextPokeBpWithoutSync(2)
{
    public override string Name => "mutant-text-poke-bp-no-sync3";
    protected override string What => "sync #3 (after the heads) removed";
    public override string Source => "sources.md a.6 A3 (sync #3 ends every in-flight int3; 285a54efe386 \"int3 is done with interrupts disabled, and the on_each_cpu() requires all CPUs to have had their interrupts enabled\")";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget, "after the patcher returns a CPU may still run a stale int3 (unclaimed) or the old instruction"),
    ];
}
