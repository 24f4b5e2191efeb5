using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace Conformance.Generators;

/// <summary>The result of one property run: what failed, shrunk to what, and how to replay it.</summary>
public sealed record PropertyOutcome(string Name, bool Passed, int Tests, int Shrinks, object? Original, object? Shrunk,
    IReadOnlyList<string> Problems, string? ReplayTriple, string Report)
{
    /// <summary>The environment setting that re-runs exactly the failing case.</summary>
    public string? ReplayCommand => ReplayTriple is null ? null : $"{PropertySettings.ReplayVariable}={ReplayTriple}";
}

/// <summary>
/// Runs an FsCheck property whose body returns its problems (empty = holds), capturing the shrunk
/// counterexample and the replay triple; the one place the suite talks to FsCheck's runner.
/// Used by the tests (through an xunit adapter) and by the CLI.
/// </summary>
public static class PropertyRunner
{
    // describe: how the report writes a case (a generated genome as the case it realizes, in
    // Reporting.CaseNotation); null: its own ToString. minimize: a pass of the caller's own after
    // FsCheck's shrinking (CaseMinimizer); the outcome's shrunk case is what it returns.
    public static PropertyOutcome Run<T>(string name, Arbitrary<T> arbitrary, Func<T, IReadOnlyList<string>> problems, PropertySettings settings,
        Func<T, string>? describe = null, Func<T, T>? minimize = null)
        where T : notnull
    {
        var runner = new CapturingRunner();
        var config = Config.Quick
            .WithMaxTest(settings.MaxTest)
            .WithEndSize(settings.EndSize)
            .WithQuietOnSuccess(true)
            .WithName(name)
            .WithRunner(runner);
        config = settings.Replay is { } r
            ? config.WithReplay(r.Seed, r.Gamma, r.Size)
            : config.WithReplay(settings.Seed, settings.Gamma);

        var property = Prop.ForAll(arbitrary, value =>
        {
            var found = problems(value);
            return (found.Count == 0).Label(string.Join("; ", found));
        });
        Check.One(config, property);

        switch (runner.Result)
        {
            case TestResult.Passed p:
                return new PropertyOutcome(name, true, p.Item1.NumberOfTests, 0, null, null, Array.Empty<string>(), null,
                    $"{name}: OK, passed {p.Item1.NumberOfTests} cases (seed {settings.Seed},{settings.Gamma}).");
            case TestResult.Failed f:
                var original = f.Item2.IsEmpty ? null : f.Item2.Head;
                var shrunk = f.Item3.IsEmpty ? original : f.Item3.Head;
                if (minimize is not null && shrunk is T before) shrunk = minimize(before);
                var shrunkProblems = shrunk is T t ? SafeProblems(problems, t) : Array.Empty<string>();
                var triple = $"{f.Item6.Seed},{f.Item6.Gamma},{f.Item7}";
                var report = string.Join(Environment.NewLine, (string[])
                [
                    $"{name}: FAILED after {f.Item1.NumberOfTests} cases and {f.Item1.NumberOfShrinks} shrinks{(minimize is null ? "" : ", then minimized")}.",
                    $"Shrunk case: {Describe(shrunk, describe)}",
                    .. shrunkProblems.Select(p => $"  - {p}"),
                    $"Original case: {Describe(original, describe)}",
                    $"Replay just this case: {PropertySettings.ReplayVariable}={triple}",
                    $"Replay the whole run:  {PropertySettings.SeedVariable}={f.Item5.Seed},{f.Item5.Gamma} {PropertySettings.RunsVariable}={settings.MaxTest}",
                ]);
                return new PropertyOutcome(name, false, f.Item1.NumberOfTests, f.Item1.NumberOfShrinks, original, shrunk,
                    shrunkProblems, triple, report);
            case TestResult.Exhausted e:
                return new PropertyOutcome(name, false, e.Item.NumberOfTests, 0, null, null, new[] { "generator exhausted" }, null,
                    $"{name}: gave up after {e.Item.NumberOfTests} cases (too many discarded).");
            default:
                throw new InvalidOperationException($"{name}: FsCheck returned no result");
        }
    }

    private static string? Describe<T>(object? value, Func<T, string>? describe)
    {
        if (describe is null || value is not T t) return value?.ToString();
        try { return describe(t); }
        catch (Exception e) { return $"{value} (not realizable: {e.GetType().Name}: {e.Message})"; }
    }

    private static IReadOnlyList<string> SafeProblems<T>(Func<T, IReadOnlyList<string>> problems, T value)
    {
        try { return problems(value); }
        catch (Exception e) { return new[] { $"{e.GetType().Name}: {e.Message}" }; }
    }

    private sealed class CapturingRunner : IRunner
    {
        public TestResult? Result { get; private set; }
        public void OnStartFixture(Type t) { }
        public void OnArguments(int ntest, FSharpList<object> args, FSharpFunc<int, FSharpFunc<FSharpList<object>, string>> every) { }
        public void OnShrink(FSharpList<object> args, FSharpFunc<FSharpList<object>, string> everyShrink) { }
        public void OnFinished(string name, TestResult result) => Result = result;
    }
}
