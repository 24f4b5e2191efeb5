namespace Conformance.Checking;

/// <summary>
/// The assumption a scheme rests on (issue 12 item 6): the weakest built-in fetch model under which
/// it passes, given that it passes under every stronger one. The built-in models are ordered by what
/// they promise, weakest first: architectural (only what the vendors' manuals promise: any byte may be
/// fetched at any moment before a serializing event) &lt; block16 &lt; block32 &lt; block64 &lt; atomic
/// (an instruction is fetched in one event). A model outside that order (a plug-in's) says nothing here.
/// </summary>
public static class FetchAssumption
{
    /// <summary>The built-in models, weakest first.</summary>
    public static readonly string[] WeakestFirst = ["architectural", "block16", "block32", "block64", "atomic"];

    /// <summary>What a scheme needs, as a word (<see cref="Needs"/>) and as the sentence a reviewer reads (<see cref="Sentence"/>).</summary>
    public sealed record Assumption(string Needs, string Sentence);

    /// <summary>
    /// What a patcher's declared expectations say it needs: under a model, fail when some expectation
    /// for it says fail (on any site, transition or ABI; the NMI switch's own rows aside), unknown when
    /// some says undecided, else pass.
    /// </summary>
    public static Assumption Declared(IReadOnlyList<Patching.Expectation> rules) =>
        Of(WeakestFirst.ToDictionary(m => m, m =>
        {
            var applying = rules.Where(r => (r.Models is null || r.Models.Contains(m)) && r.NmiMayEndStiShadow != true).ToArray();
            return applying.Any(r => r.Verdict == Patching.ExpectedVerdict.Fail) ? false
                : applying.Any(r => r.Verdict == Patching.ExpectedVerdict.Undecided) ? (bool?)null : true;
        }));

    /// <summary>
    /// From the verdict under each model (true: pass, false: fail, null or missing: unknown, an open
    /// or errored cell), the weakest model M such that the scheme passes under M and every stronger
    /// model. Unknown when a model it would depend on has no verdict.
    /// </summary>
    public static Assumption Of(IReadOnlyDictionary<string, bool?> passes)
    {
        string? weakest = null;
        for (int i = WeakestFirst.Length - 1; i >= 0; i--)   // strongest first: walk down while it passes
        {
            if (!passes.TryGetValue(WeakestFirst[i], out var pass)) break;
            if (pass is null) return new("?", weakest is null
                ? $"unknown: no verdict under {WeakestFirst[i]}"
                : $"needs {weakest} or less (no verdict under {WeakestFirst[i]})");
            if (pass == false) break;
            weakest = WeakestFirst[i];
        }
        bool all = WeakestFirst.All(passes.ContainsKey);
        return weakest switch
        {
            null when passes.TryGetValue("atomic", out var a) && a == false => new("-", "fails even under atomic: no fetch model makes it safe"),
            null => new("?", "unknown: no verdict under atomic"),
            "architectural" => new("nothing", "needs nothing beyond the vendors' promise (passes under architectural)"),
            _ when !all && weakest == WeakestFirst.First(passes.ContainsKey) => new(weakest, $"needs {weakest} or less (the weaker models were not checked)"),
            _ => new(weakest, $"needs {weakest}: fails under {WeakestFirst[Array.IndexOf(WeakestFirst, weakest) - 1]}"),
        };
    }
}
