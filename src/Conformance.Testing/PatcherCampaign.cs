using System.Globalization;
using Conformance.Generators;
using Conformance.Generators.Campaigns;

namespace Conformance.Testing;

/// <summary>
/// How <see cref="PatcherAssert"/> runs a cell campaign: cases per cell, the most a search for a
/// counterexample may take, the CPUs of a scenario, the run's seed, and a token to replay instead.
/// The environment overrides the defaults, as for the suite's own tests:
/// <c>CONFORMANCE_RUNS=N</c> (cases per cell), <c>CONFORMANCE_SEED=S</c> (the run's seed; a
/// <c>seed,gamma</c> pair gives its seed), <c>CONFORMANCE_REPLAY=cf2:...</c> (re-run only the case a
/// failure printed). A malformed value is an error naming the variable, never ignored.
/// </summary>
public sealed record PatcherCampaign(int Runs = 120, int FailRuns = 3000, int MaxCpus = 4, ulong Seed = PropertySettings.DefaultSeed, ReplayToken? Replay = null)
{
    /// <summary>The defaults with the environment's overrides.</summary>
    public static PatcherCampaign FromEnvironment(PatcherCampaign? defaults = null) =>
        FromValues(defaults ?? new PatcherCampaign(), Environment.GetEnvironmentVariable(PropertySettings.RunsVariable),
            Environment.GetEnvironmentVariable(PropertySettings.SeedVariable), Environment.GetEnvironmentVariable(PropertySettings.ReplayVariable));

    /// <summary>Parses the three settings over <paramref name="defaults"/>; a malformed one throws an <see cref="ArgumentException"/> naming it.</summary>
    public static PatcherCampaign FromValues(PatcherCampaign defaults, string? runs, string? seed, string? replay)
    {
        var c = defaults;
        if (!string.IsNullOrWhiteSpace(runs))
        {
            if (!int.TryParse(runs.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n <= 0)
                throw new ArgumentException($"{PropertySettings.RunsVariable}='{runs}' is not a positive whole number");
            c = c with { Runs = n, FailRuns = Math.Max(n, c.FailRuns) };
        }
        if (!string.IsNullOrWhiteSpace(seed))
        {
            string first = seed.Trim().Trim('(', ')').Split(',')[0].Trim();
            if (!ulong.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s))
                throw new ArgumentException($"{PropertySettings.SeedVariable}='{seed}' is not a non-negative whole number");
            c = c with { Seed = s };
        }
        if (!string.IsNullOrWhiteSpace(replay))
        {
            // Any version's token goes to the parser, which says when it is another version's.
            if (!System.Text.RegularExpressions.Regex.IsMatch(replay.Trim(), "^cf[0-9]+:"))
                throw new ArgumentException(
                    $"{PropertySettings.ReplayVariable}='{replay}' is not a replay token ({ReplayToken.Version}:...); PatcherAssert replays the token its failure printed " +
                    "(FsCheck's seed,gamma,size triple is for a [Property] test's Replay)");
            try { c = c with { Replay = ReplayToken.Parse(replay) }; }
            catch (ArgumentException e) { throw new ArgumentException($"{PropertySettings.ReplayVariable}: {e.Message}"); }
        }
        return c;
    }
}
