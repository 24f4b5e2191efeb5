using System.Reflection;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Reporting;

namespace Conformance.Testing;

/// <summary>
/// One-line assertions over a patcher: each runs the suite's cell campaign (generated scenarios,
/// every property, a counterexample shrunk) for the patcher under the named fetch models (all five
/// when none are named), honours <c>CONFORMANCE_RUNS</c>, <c>CONFORMANCE_SEED</c> and
/// <c>CONFORMANCE_REPLAY</c> (<see cref="PatcherCampaign"/>), and replays the failure database's
/// stored counterexamples first (<see cref="FailureDatabase"/>: <c>.conformance/</c> in the test
/// project, or <c>CONFORMANCE_FAILURES</c>). A failure throws <see cref="PatcherAssertException"/>
/// with the shrunk case, its replay token and its timeline.
/// </summary>
public static class PatcherAssert
{
    /// <summary>No counterexample for <typeparamref name="TPatcher"/> under any of <paramref name="models"/>.</summary>
    public static void Conforms<TPatcher>(params string[] models) where TPatcher : IPatcher, new() =>
        Conforms<TPatcher>(PatcherCampaign.FromEnvironment(), models);

    /// <summary>No counterexample under any of <paramref name="models"/>, with this campaign.</summary>
    public static void Conforms<TPatcher>(PatcherCampaign campaign, params string[] models) where TPatcher : IPatcher, new()
    {
        var (info, cells) = Run<TPatcher>(campaign, models, search: false);
        var failing = cells.Where(c => !c.Passed).ToArray();
        Log(cells);
        if (failing.Length > 0)
            throw new PatcherAssertException(
                $"{info.Name}: {failing.Length} of {cells.Count} cells have a counterexample.{Environment.NewLine}{Environment.NewLine}" +
                string.Join(Environment.NewLine, failing.Select(c => CellReport.Counterexample(c, info))));
    }

    /// <summary>
    /// The suite finds a counterexample for <typeparamref name="TPatcher"/> (a known-bad variant) under
    /// every one of <paramref name="models"/> (when none are named: every model where its expectations
    /// say it fails); the test goes red the day it stops finding one. Returns them.
    /// </summary>
    public static IReadOnlyList<Counterexample> Caught<TPatcher>(params string[] models) where TPatcher : IPatcher, new() =>
        Caught<TPatcher>(PatcherCampaign.FromEnvironment(), models);

    /// <summary><see cref="Caught{TPatcher}(string[])"/> with this campaign (its <see cref="PatcherCampaign.FailRuns"/> bounds each search).</summary>
    public static IReadOnlyList<Counterexample> Caught<TPatcher>(PatcherCampaign campaign, params string[] models) where TPatcher : IPatcher, new()
    {
        if (models.Length == 0)
        {
            var expectations = Describe<TPatcher>().Expectations;
            models = FetchModelRegistry.BuiltIn.Select(m => m.Name)
                .Where(m => MatrixCampaign.CellExpectation(expectations, m, nmi: false) == ExpectedVerdict.Fail).ToArray();
            if (models.Length == 0)
                throw new PatcherAssertException($"{typeof(TPatcher).Name} declares no failure (Expect.Fail) under any fetch model: name the models it should be caught in");
        }
        var (info, cells) = Run<TPatcher>(campaign, models, search: true);
        Log(cells);
        var missed = cells.Where(c => c.Passed).ToArray();
        if (missed.Length > 0)
            throw new PatcherAssertException(
                $"{info.Name}: no counterexample found under {string.Join(", ", missed.Select(CellReport.Title))} in {campaign.FailRuns} cases each; " +
                "the suite no longer catches this variant (or it is not broken there).");
        return cells.Select(c => MatrixCounterexample.Of(c, info)).OfType<Counterexample>().ToArray();
    }

    /// <summary>
    /// Every cell agrees with what <typeparamref name="TPatcher"/> declares (<see cref="IPatcher.Expectations"/>):
    /// a counterexample where it expects a failure, none where it expects a pass.
    /// </summary>
    public static void AgreesWithExpectations<TPatcher>(params string[] models) where TPatcher : IPatcher, new()
    {
        var campaign = PatcherCampaign.FromEnvironment();
        var (info, cells) = Run<TPatcher>(campaign, models, search: false);
        Log(cells);
        var wrong = cells.Where(c => !c.Agrees).ToArray();
        if (wrong.Length > 0)
            throw new PatcherAssertException(
                $"{info.Name}: {wrong.Length} of {cells.Count} cells disagree with its expectations.{Environment.NewLine}{Environment.NewLine}" +
                string.Join(Environment.NewLine, wrong.Select(c => c.Passed
                    ? $"{CellReport.Title(c)}: expected {c.Expected.ToString().ToLowerInvariant()}, but no counterexample in {c.Runs} cases"
                    : CellReport.Counterexample(c, info))));
    }

    /// <summary>The patcher as the suite knows a plug-in: its declared facts and how to make one.</summary>
    public static PatcherInfo Describe<TPatcher>() where TPatcher : IPatcher, new()
    {
        var p = new TPatcher();
        if (string.IsNullOrWhiteSpace(p.Name)) throw new PatcherAssertException($"{typeof(TPatcher).FullName} has no Name");
        // A plug-in by its assembly's path: the tokens it gets name it, so the tool can replay them.
        return new PatcherInfo(p.Name, p.Description, p.Source, p.Expectations ?? [], typeof(TPatcher), IsPlugin: true) { Plugin = typeof(TPatcher).Assembly.Location };
    }

    private static (PatcherInfo Info, IReadOnlyList<MatrixCell> Cells) Run<TPatcher>(PatcherCampaign campaign, string[] models, bool search)
        where TPatcher : IPatcher, new()
    {
        var info = Describe<TPatcher>();
        var chosen = Models(models);
        var cells = MatrixCampaign.Cells([info], chosen).ToArray();
        if (campaign.Replay is { } token)
        {
            // Only the cell the token names, only that case.
            var cell = cells.FirstOrDefault(c => c.Patcher.Name == token.Patcher && c.Model.Name == token.Model && c.Nmi == token.Nmi);
            if (cell.Patcher is null)
                throw new PatcherAssertException(
                    $"{PropertySettings.ReplayVariable}={token} names {token.Patcher} under {token.Model}; this assertion checks {info.Name} under " +
                    $"{string.Join(", ", chosen.Select(m => m.Name))}: run only the test that printed it (dotnet test --filter-method '*NAME*')");
            return (info, [MatrixCampaign.Replay(token, [info])]);
        }
        var db = Database(typeof(TPatcher).Assembly);
        int runs = search ? campaign.FailRuns : campaign.Runs;
        MatrixCell One((PatcherInfo Patcher, IFetchModel Model, bool Nmi) c)
        {
            MatrixCell Campaign() => MatrixCampaign.RunCell(c.Patcher, c.Model, c.Nmi, runs, campaign.Seed, campaign.MaxCpus, failRuns: campaign.FailRuns);
            if (db is null) return Campaign();
            var result = db.Run(c.Patcher, c.Model, c.Nmi, [info], Campaign);
            foreach (var r in result.Replays) Write(r.ToString());
            return result.Cell;
        }
        return (info, CampaignParallel.Map(cells, Environment.ProcessorCount, One));
    }

    private static IReadOnlyList<IFetchModel> Models(string[] names)
    {
        if (names.Length == 0) return FetchModelRegistry.BuiltIn.ToArray();
        return names.Select(n => FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == n)
            ?? throw new PatcherAssertException($"unknown fetch model '{n}'; known: {string.Join(", ", FetchModelRegistry.BuiltIn.Select(m => m.Name))}")).ToArray();
    }

    /// <summary>
    /// The failure database: <c>CONFORMANCE_FAILURES</c> if set (a directory, or <c>off</c>), else the
    /// directory the test project's build recorded (the package's build file sets it to the project's
    /// <c>.conformance</c>), else <c>.conformance</c> in the current directory.
    /// </summary>
    private static FailureDatabase? Database(Assembly tests)
    {
        string? recorded = tests.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "ConformanceFailureDatabase")?.Value;
        return FailureDatabase.Open(null, string.IsNullOrWhiteSpace(recorded) ? FailureDatabase.DefaultDirectory : recorded);
    }

    private static void Log(IEnumerable<MatrixCell> cells)
    {
        foreach (var c in cells) Write(CellReport.Verdict(c));
    }

    private static void Write(string line) => Xunit.TestContext.Current.TestOutputHelper?.WriteLine(line);
}
