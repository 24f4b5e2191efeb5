using Conformance.Checking;
using Conformance.Machine;

namespace Conformance.Patching.Mutants;

/// <summary>
/// One mutant: the patcher (a fresh instance per run, as any patcher), the catalog scheme it mutates,
/// the properties a counterexample to it must violate, and what the exhaustive scenario needs to be
/// able to show it (two sites in the batch; a second writer, which the explorer rejects).
/// </summary>
public sealed record MutantInfo(PatcherInfo Patcher, string Mutates, IReadOnlyList<string> Properties)
{
    public string Name => Patcher.Name;

    /// <summary>Sites the exhaustive scenario patches in its batch (2: the mutation needs two sites in one batch).</summary>
    public int ExhaustiveSites { get; init; } = 1;

    /// <summary>
    /// The mutation only shows with two sites in one fetch block: the exhaustive scenario places its
    /// second site right after the first one's tail. The generators place sites 0x80 apart, so the
    /// random search cannot show it (<see cref="RandomOutOfReach"/>).
    /// </summary>
    public bool AdjacentSites { get; init; }

    /// <summary>Why the random search cannot show this mutant, or null when it can.</summary>
    public string? RandomOutOfReach => AdjacentSites
        ? "needs two sites in one fetch block; the generators place sites 0x80 apart (PatchCaseRealizer.SiteStride)"
        : null;

    /// <summary>The mutation only shows with a second patch running at once (no text_mutex).</summary>
    public bool NeedsConcurrentWriter { get; init; }

    /// <summary>
    /// The fetch models where the mutant must be killed: those where its declared expectations (first
    /// match wins) say fail.
    /// </summary>
    public IReadOnlyList<string> Models => FetchModelRegistry.BuiltIn.Select(m => m.Name)
        .Where(m => Expect.For(Patcher.Expectations, m, null, null, nmiMayEndStiShadow: false)?.Verdict == ExpectedVerdict.Fail)
        .ToArray();
}

/// <summary>
/// The suite's mutants (spec/mutants.md): the historical bugs of the catalog's correct schemes, or
/// the ones their reviewers feared, each a file in this namespace naming the commit or mail it
/// stands for. They are not in the catalog: <see cref="PatcherRegistry.BuiltIn"/> leaves
/// <see cref="Namespace"/> out, so <c>list</c> and <c>check</c> do not show them; <c>check --mutants</c>
/// runs these and reports which the random search and the exhaustive mode kill.
/// </summary>
public static class MutantRegistry
{
    /// <summary>The namespace mutants live in (left out of the built-in catalog).</summary>
    public const string Namespace = "Conformance.Patching.Mutants";

    /// <summary>Whether <paramref name="type"/> is one of the library's mutants (not a catalog patcher).</summary>
    public static bool IsMutant(Type type) => type.Namespace == Namespace && type.Assembly == typeof(MutantRegistry).Assembly;

    private const string TextPokeBp = "text-poke-bp";
    private const string Atomic8Byte = "atomic-8byte";

    public static IReadOnlyList<MutantInfo> All { get; } =
    [
        Of<TextPokeBpWithoutSync1>(TextPokeBp, OldNewOrTrap.Id),
        Of<TextPokeBpWithoutSync2>(TextPokeBp, OldNewOrTrap.Id),
        Of<TextPokeBpWithoutSync3>(TextPokeBp, OldNewOrTrap.Id, EquivalentEffect.Id),
        Of<TextPokeBpHeadBeforeTail>(TextPokeBp, OldNewOrTrap.Id),
        Of<TextPokeBpPublishedLate>(TextPokeBp, OldNewOrTrap.Id, EquivalentEffect.Id),
        Of<TextPokeBpReleasedBeforeSync3>(TextPokeBp, OldNewOrTrap.Id, EquivalentEffect.Id),
        Of<TextPokeBpDescriptorFreedEarly>(TextPokeBp, OldNewOrTrap.Id, EquivalentEffect.Id),
        Of<TextPokeBpSingleIntoBatch>(TextPokeBp, OldNewOrTrap.Id, EquivalentEffect.Id) with { ExhaustiveSites = 2 },
        Of<TextPokeBpWrongReturnAddress>(TextPokeBp, EquivalentEffect.Id),
        Of<TextPokeBpReturnInsideSite>(TextPokeBp, EquivalentEffect.Id),
        Of<TextPokeBpHandlerLeavesIfClear>(TextPokeBp, PatchCheck.Liveness),
        Of<TextPokeBpWithoutTextMutex>(TextPokeBp, PatchCheck.SingleWriter, OldNewOrTrap.Id, EquivalentEffect.Id) with { NeedsConcurrentWriter = true },
        Of<Atomic8ByteBlockSnapshot>(Atomic8Byte, PatchCheck.PatcherError, PatchCheck.Completion, OldNewOrTrap.Id) with { ExhaustiveSites = 2, AdjacentSites = true },
    ];

    /// <summary>The mutant called <paramref name="name"/>; an unknown name throws, listing the known ones.</summary>
    public static MutantInfo Get(string name) =>
        All.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"unknown mutant '{name}'; known: {string.Join(", ", All.Select(m => m.Name))}");

    private static MutantInfo Of<T>(string mutates, params string[] properties) where T : IPatcher, new()
    {
        var p = new T();
        return new MutantInfo(new PatcherInfo(p.Name, p.Description, p.Source, p.Expectations, typeof(T), IsPlugin: false), mutates, properties);
    }
}
