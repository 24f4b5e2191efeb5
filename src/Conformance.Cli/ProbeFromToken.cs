using Conformance.Checking.Exhaustive;
using Conformance.Generators.Campaigns;
using Conformance.Patching;
using Conformance.Reporting;

namespace Conformance.Cli;

/// <summary>
/// <c>probe --from TOKEN</c>: the counterexample a replay token (<c>check</c>'s or <c>check
/// --exhaustive</c>'s) names, replayed through the same APIs as <c>explain</c>, so that a change of
/// the token formats needs no change here.
/// </summary>
public static class ProbeFromToken
{
    /// <summary>The token's counterexample, or null when its case passes now; a malformed token is a usage error.</summary>
    public static Counterexample? Load(string text, IReadOnlyList<PatcherInfo> catalog)
    {
        if (ExhaustiveToken.Looks(text)) return ExhaustiveReplay.Counterexample(text, catalog);
        try
        {
            var parsed = ReplayToken.Parse(text);
            var cell = MatrixCampaign.Replay(parsed, catalog);
            return MatrixCounterexample.Of(cell, catalog.First(p => p.Name == parsed.Patcher));
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
