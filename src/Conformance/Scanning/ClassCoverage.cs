using Conformance.Patching;

namespace Conformance.Scanning;

/// <summary>
/// The verdict for one layout class (a site kind and an alignment class) of a scanned
/// distribution: how many of its sites there are, how many of them the patcher accepts, and
/// whether the patcher passed with its sites drawn from that class only (null: not run, because it
/// accepts none of them). <see cref="Token"/> replays the counterexample of a failed class.
/// </summary>
public sealed record ClassVerdict(SiteKind Kind, AlignmentClass Class, long Sites, long Accepted, bool? Passed, string? Property = null, string? Token = null)
{
    public override string ToString() => $"{Kind} {Class}";
}

/// <summary>
/// The weighting step: given a verdict per layout class (from the random matrix or any other
/// source), the share of a binary's sites a scheme is safe for. Every site is counted once: it
/// passes (the patcher accepts it and its class passed), fails (accepted, and its class failed),
/// or falls back (the patcher declines it and uses its fallback, which this verdict says nothing of).
/// </summary>
public sealed record ClassCoverage(string Patcher, string Model, long Sites, long Passing, long Failing, long FallingBack, IReadOnlyList<ClassVerdict> Classes)
{
    public static ClassCoverage Weigh(string patcher, string model, IReadOnlyList<ClassVerdict> classes)
    {
        foreach (var c in classes)
            if (c.Accepted < 0 || c.Accepted > c.Sites || (c.Passed is null && c.Accepted > 0))
                throw new ArgumentException($"class {c}: {c.Accepted} of {c.Sites} sites accepted{(c.Passed is null ? " but no verdict" : "")}");
        return new ClassCoverage(patcher, model,
            classes.Sum(c => c.Sites),
            classes.Where(c => c.Passed == true).Sum(c => c.Accepted),
            classes.Where(c => c.Passed == false).Sum(c => c.Accepted),
            classes.Sum(c => c.Sites - c.Accepted),
            classes);
    }

    public double Share(long part) => Sites == 0 ? 0 : (double)part / Sites;
}
