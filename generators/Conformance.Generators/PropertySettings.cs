using System.Globalization;

namespace Conformance.Generators;

/// <summary>
/// How a property runs: how many cases, from which seed, or replaying one failing case.
/// Defaults are fixed so that a run is the same on every machine; the environment overrides them:
/// <list type="bullet">
/// <item><c>CONFORMANCE_RUNS=N</c>: number of generated cases.</item>
/// <item><c>CONFORMANCE_SEED=seed,gamma</c>: the whole run's seed (FsCheck's pair; gamma is made odd).</item>
/// <item><c>CONFORMANCE_REPLAY=seed,gamma,size</c>: re-run only the failing case a report printed.</item>
/// </list>
/// </summary>
public sealed record PropertySettings(int MaxTest, ulong Seed, ulong Gamma, (ulong Seed, ulong Gamma, int Size)? Replay = null, int EndSize = 100)
{
    public const string RunsVariable = "CONFORMANCE_RUNS", SeedVariable = "CONFORMANCE_SEED", ReplayVariable = "CONFORMANCE_REPLAY";

    /// <summary>The suite's fixed default seed: CI and every local run see the same cases.</summary>
    public const ulong DefaultSeed = 20261121, DefaultGamma = 0x9E37_79B9_7F4A_7C15UL;

    /// <summary>Defaults for a run of <paramref name="maxTest"/> cases, overridden by the environment.</summary>
    public static PropertySettings FromEnvironment(int maxTest) =>
        FromValues(maxTest, Environment.GetEnvironmentVariable(RunsVariable),
            Environment.GetEnvironmentVariable(SeedVariable), Environment.GetEnvironmentVariable(ReplayVariable));

    /// <summary>Parses the three settings; a malformed value throws an <see cref="ArgumentException"/> naming it.</summary>
    public static PropertySettings FromValues(int maxTest, string? runs, string? seed, string? replay)
    {
        var s = new PropertySettings(maxTest, DefaultSeed, DefaultGamma);
        if (!string.IsNullOrWhiteSpace(runs))
        {
            if (!int.TryParse(runs, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n <= 0)
                throw new ArgumentException($"{RunsVariable}='{runs}' is not a positive whole number");
            s = s with { MaxTest = n };
        }
        if (!string.IsNullOrWhiteSpace(seed))
        {
            var p = Numbers(seed, SeedVariable, "seed,gamma", 2);
            s = s with { Seed = p[0], Gamma = p[1] | 1 };
        }
        if (!string.IsNullOrWhiteSpace(replay))
        {
            var p = Numbers(replay, ReplayVariable, "seed,gamma,size", 3);
            if (p[2] > int.MaxValue) throw new ArgumentException($"{ReplayVariable}: size {p[2]} is too large");
            s = s with { Replay = (p[0], p[1] | 1, (int)p[2]) };
        }
        return s;
    }

    private static ulong[] Numbers(string text, string name, string shape, int count)
    {
        var parts = text.Trim().Trim('(', ')').Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != count)
            throw new ArgumentException($"{name}='{text}' must be {shape} ({count} numbers separated by commas)");
        var values = new ulong[count];
        for (int k = 0; k < count; k++)
            if (!ulong.TryParse(parts[k], NumberStyles.None, CultureInfo.InvariantCulture, out values[k]))
                throw new ArgumentException($"{name}='{text}': '{parts[k]}' is not a non-negative whole number");
        return values;
    }
}
