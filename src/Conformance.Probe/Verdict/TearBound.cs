namespace Conformance.Probe.Verdict;

/// <summary>What a count of tears says about the tear rate.</summary>
public static class TearBound
{
    /// <summary>
    /// The one-sided 95% upper bound on the tear rate after <paramref name="calls"/> calls and no
    /// tear: the exact binomial (Clopper-Pearson) bound 1 - 0.05^(1/n), which the rule of three
    /// approximates as 3/n. Null with no calls (nothing is known).
    /// </summary>
    public static double? Upper95WhenNone(long calls) => calls <= 0 ? null : -double.ExpM1(Math.Log(0.05) / calls);

    /// <summary>The observed rate, or null with no calls.</summary>
    public static double? Rate(long tears, long calls) => calls <= 0 ? null : (double)tears / calls;
}
