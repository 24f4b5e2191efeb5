using System.Globalization;
using System.Text.Json;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Scanning;

namespace Conformance.Cli;

/// <summary>
/// <c>check --layouts-from FILE --by-class</c>: each patcher under each fetch model, run once per
/// layout class of the scanned distribution (<see cref="ClassCampaign"/>), then weighted by how
/// many of the binary's sites are in each class (<see cref="ClassCoverage"/>): "passes for 76.0% of
/// the sites, fails for 18.0%, falls back for 6.0%". Exit 0 when no class fails where history
/// expects the patcher to pass under the model, 1 otherwise. An expected failure that no class of
/// these layouts shows is reported ("not shown by these layouts"), not counted: history's
/// expectation is about every layout, and a binary may have none of those that tear.
/// </summary>
public static class ByClassCheck
{
    public sealed record Row(PatcherInfo Patcher, IFetchModel Model, ExpectedVerdict Expected, ClassCoverage Coverage)
    {
        public bool AnyFailed => Coverage.Classes.Any(c => c.Passed == false);
        public bool Agrees => Expected != ExpectedVerdict.Pass || !AnyFailed;

        public bool NotShown => Expected == ExpectedVerdict.Fail && !AnyFailed;
    }

    public static int Execute(IReadOnlyList<PatcherInfo> patchers, IReadOnlyList<IFetchModel> models, SiteLayouts layouts, string layoutsPath,
        int runs, ulong seed, int maxCpus, ScheduleSearch search, FileInfo? json)
    {
        Console.WriteLine($"Layouts from {layoutsPath}: {N(layouts.Total)} sites in {layouts.Classes.Count} layout classes (site kind and alignment class); " +
                          $"each class run with {runs} cases (expected failures: up to {runs * 25}), seed {seed}.");
        var rows = new List<Row>();
        foreach (var p in patchers)
            foreach (var m in models)
            {
                var verdicts = ClassCampaign.Run(p, m, layouts, runs, seed, maxCpus, failRuns: runs * 25, search);
                var row = new Row(p, m, MatrixCampaign.CellExpectation(p.Expectations, m.Name, nmi: false), ClassCoverage.Weigh(p.Name, m.Name, verdicts));
                rows.Add(row);
                Print(row, LayoutsFrom.Suffix(layoutsPath));
            }
        // A pass is bounded by the cases run; the workload's far targets make a retarget change every rel32 byte (spec/scan.md).
        Console.WriteLine("A class passes when no counterexample was found in its cases; retargets to the workload's far targets change all four rel32 bytes, so every split of a rel32 can tear (spec/scan.md).");
        int disagree = rows.Count(r => !r.Agrees);
        if (json is not null) OutputPath.Write("--json", json, Json(rows, layoutsPath, layouts, runs, seed, maxCpus, search, patchers, models, disagree));
        Console.WriteLine(disagree == 0
            ? $"All {rows.Count} patcher/model pairs agree with their expectations."
            : $"{disagree} of {rows.Count} patcher/model pairs disagree with their expectations.");
        return disagree == 0 ? Cli.Ok : Cli.Failed;
    }

    private static void Print(Row r, string replaySuffix)
    {
        var c = r.Coverage;
        Console.WriteLine($"{c.Patcher} / {c.Model}: passes for {Share(c, c.Passing)} of the sites, fails for {Share(c, c.Failing)}, falls back for {Share(c, c.FallingBack)} " +
                          $"(expected {r.Expected.ToString().ToLowerInvariant()}{(r.Agrees ? "" : "; DISAGREES")}{(r.NotShown ? ": not shown by these layouts" : "")}).");
        foreach (var f in c.Classes.Where(v => v.Passed == false))
            Console.WriteLine($"  fails: {f.Kind} {f.Class} ({f.Class.Describe()}; {N(f.Accepted)} sites) {f.Property} | replay {f.Token}{replaySuffix}");
    }

    private static string Share(ClassCoverage c, long part) => (100 * c.Share(part)).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Json(IReadOnlyList<Row> rows, string path, SiteLayouts layouts, int runs, ulong seed, int maxCpus, ScheduleSearch search,
        IReadOnlyList<PatcherInfo> patchers, IReadOnlyList<IFetchModel> models, int disagree) =>
        JsonSerializer.Serialize(new
        {
            // The header every report has (spec/reports.md); format 1 was the string "conformance-by-class/1" without it.
            format = ReportHeader.ByClassFormat,
            report = "by-class",
            tool = new { name = ToolReport.This.Name, version = ToolReport.This.Version },
            options = new { patchers = patchers.Select(p => p.Name).ToArray(), models = models.Select(m => m.Name).ToArray(), runs, seed, maxCpus, strategy = search.Name, layoutsFrom = path },
            summary = new { pairs = rows.Count, agreeing = rows.Count - disagree, disagreeing = disagree, exitCode = disagree == 0 ? Cli.Ok : Cli.Failed },
            layoutsFrom = path,
            layouts = layouts.Digest,
            sites = layouts.Total,
            runs,
            seed,
            maxCpus,
            results = rows.Select(r => new
            {
                patcher = r.Coverage.Patcher,
                model = r.Coverage.Model,
                expected = r.Expected.ToString().ToLowerInvariant(),
                agrees = r.Agrees,
                expectedFailureNotShown = r.NotShown,
                sites = r.Coverage.Sites,
                passing = r.Coverage.Passing,
                failing = r.Coverage.Failing,
                fallingBack = r.Coverage.FallingBack,
                classes = r.Coverage.Classes.Select(v => new
                {
                    siteKind = v.Kind.ToString(),
                    @class = v.Class.ToString(),
                    sites = v.Sites,
                    accepted = v.Accepted,
                    verdict = v.Passed switch { true => "pass", false => "fail", null => "not run (no site accepted)" },
                    property = v.Property,
                    replay = v.Token,
                }),
            }),
        }, JsonOptions.Indented) + "\n";
}
