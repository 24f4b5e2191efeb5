namespace Conformance.Generators.Campaigns;

/// <summary>
/// Counterexamples the suite keeps, for the cells history left undecided (spec/verdicts.md,
/// "Settled verdicts"). The random search finds cs-prefix's tears under block32 and block16 at some
/// seeds and not at others (their straddles need 3 CPUs, a call -> nop change and a stale first
/// unit), and the bounded proof's scenario (2 CPUs) cannot tear it, so without these the verdict
/// of such a cell would depend on the seed. Each kept case is replayed in its cell by every run
/// (after the random cases, when they found nothing): the verdict rests on a counterexample the
/// machine re-checks every time, never on a recorded answer. A kept case that stops failing (the
/// checker, the generator or the patcher changed) is reported by the run and turns
/// <c>KeptCounterexampleTests</c> red: find the cell's counterexample again and keep the new token.
/// </summary>
public static class KeptCounterexamples
{
    /// <summary>One kept case: its cell, its replay token, the property it violates, and how it was found.</summary>
    public sealed record Kept(string Patcher, string Model, bool Nmi, string Token, string Property, string FoundWith);

    public static readonly IReadOnlyList<Kept> All =
    [
        // P1: 2e e8 | 1f 44 00 00, a call -> nop change read as the old first 32-byte unit and the new second (3 CPUs).
        new("cs-prefix", "block32", false, "cf2:cs-prefix:block32:-:4:14424888663404113646:4033439468819825371:2:15971b3f",
            "P1-old-new-or-trap", "check --patcher cs-prefix --seed 1 (its 2nd case)"),
        // P1: a retarget torn across a 16-byte unit (3 CPUs).
        new("cs-prefix", "block16", false, "cf2:cs-prefix:block16:-:4:15494516152365856389:8817963859625917075:40:bc88bce3",
            "P1-old-new-or-trap", "check --patcher cs-prefix --seed 3 (its 95th case)"),
        new("cs-prefix", "architectural", false, "cf2:cs-prefix:architectural:-:4:15765607421097480807:12241877521192432739:12:1f9e1a4e",
            "P1-old-new-or-trap", "check --patcher cs-prefix --seed 2 (its 27th case)"),
    ];

    /// <summary>The kept cases of one cell.</summary>
    public static IEnumerable<Kept> Of(string patcher, string model, bool nmi) =>
        All.Where(k => k.Patcher == patcher && k.Model == model && k.Nmi == nmi);
}
