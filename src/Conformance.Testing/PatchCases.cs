using System.Runtime.CompilerServices;
using Conformance.Checking;
using Conformance.Generators;
using Conformance.Patching;
using FsCheck;
using FsCheck.Fluent;

namespace Conformance.Testing;

/// <summary>
/// The suite's scenarios for <typeparamref name="TPatcher"/> as an FsCheck arbitrary, for
/// FsCheck.Xunit.v3's <c>[Property]</c>: <c>[Property(Arbitrary = [typeof(PatchCases&lt;MyScheme&gt;)])]
/// Property Conforms(PatchCase c) =&gt; PatchProperty.Conforms&lt;MyScheme&gt;(c);</c>. Each case is
/// generated as the matrix generates its own (layouts the patcher accepts, 1 to 4 CPUs, schedules,
/// interrupts, fetch choices) and shrinks as they do; FsCheck's own <c>Replay</c> replays one.
/// </summary>
public static class PatchCases<TPatcher> where TPatcher : IPatcher, new()
{
    // A realized case remembers its genome, so the shrinker can shrink the genome and realize again.
    private static readonly ConditionalWeakTable<PatchCase, PatchCaseGenome> Genomes = new();
    private static readonly TPatcher Probe = new();

    /// <summary>The arbitrary FsCheck finds on this class (a static method returning <see cref="Arbitrary{T}"/>).</summary>
    public static Arbitrary<PatchCase> Cases() => Arb.From(PatchCaseGen.Genome(4).Select(Realize), Shrink);

    private static PatchCase Realize(PatchCaseGenome genome)
    {
        var c = PatchCaseRealizer.Realize(genome, Probe);
        Genomes.AddOrUpdate(c, genome);
        return c;
    }

    private static IEnumerable<PatchCase> Shrink(PatchCase c) =>
        Genomes.TryGetValue(c, out var genome) ? PatchCaseGen.Shrink(genome).Select(Realize) : [];
}

/// <summary>The property a <c>[Property]</c> test states over one generated case: every property holds for the patcher under the models.</summary>
public static class PatchProperty
{
    /// <summary>
    /// Runs <paramref name="c"/> for <typeparamref name="TPatcher"/> under each of <paramref name="models"/>
    /// (all five when none are named): true when no property is violated, else false labelled with the violations.
    /// </summary>
    public static Property Conforms<TPatcher>(PatchCase c, params string[] models) where TPatcher : IPatcher, new()
    {
        var problems = Problems<TPatcher>(c, models);
        return (problems.Count == 0).Label(string.Join("; ", problems));
    }

    /// <summary>The violations of one case, each prefixed with the model it happened under.</summary>
    public static IReadOnlyList<string> Problems<TPatcher>(PatchCase c, params string[] models) where TPatcher : IPatcher, new()
    {
        var chosen = models.Length == 0 ? Machine.FetchModelRegistry.BuiltIn : models.Select(Machine.FetchModelRegistry.Get).ToArray();
        return chosen.SelectMany(m => PatchCheck.Run(() => new TPatcher(), m, c).Violations.Select(v => $"{m.Name}: {v}")).ToArray();
    }
}
