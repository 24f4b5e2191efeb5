namespace Conformance.Patching.Mutants;

/// <summary>
/// Single and batch pokes mixed (2025): <c>smp_text_poke_single()</c> appended its site with the raw
/// <c>__smp_text_poke_batch_add()</c> while a batch queued by <c>smp_text_poke_batch_add()</c> was
/// still in the array, which broke its sort order: the handler's bsearch misses the site and the
/// int3 goes unclaimed ("Oops: int3"). Here the batch's lowest site is the single poke, appended
/// after the others. Fixed by 2aebf5ee43bf "x86/alternatives: Fix int3 handling failure from broken
/// text_poke array" (Masami Hiramatsu, 2025-06; sources.md a.1, a.6).
/// </summary>
public sealed class TextPokeBpSingleIntoBatch : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-single-into-batch";
    protected override string What => "a single poke raw-appended to a queued batch (unsorted array)";
    public override string Source => "2aebf5ee43bf \"x86/alternatives: Fix int3 handling failure from broken text_poke array\" (smp_text_poke_single via __smp_text_poke_batch_add; sources.md a.6)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget, "with two sites the array is out of order: the bsearch misses the first site and its int3 goes unclaimed"),
    ];

    /// <summary>The queued batch (sorted), then the single poke appended at its end without a flush.</summary>
    protected override PatchRequest[] Order(IReadOnlyList<PatchRequest> batch)
    {
        var sorted = base.Order(batch);
        return sorted.Length < 2 ? sorted : [.. sorted[1..], sorted[0]];
    }
}
