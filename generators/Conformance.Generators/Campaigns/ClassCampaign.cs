using Conformance.Machine;
using Conformance.Patching;
using Conformance.Scanning;

namespace Conformance.Generators.Campaigns;

/// <summary>
/// The matrix cell of a patcher and a fetch model run once per layout class of a scanned
/// distribution (<c>check --layouts-from FILE --by-class</c>): the sites of every case are drawn
/// from that class's bins only, and only from bins the patcher accepts (placed where the workload
/// puts them, at the same line offset), so each verdict speaks of that class. Each class run is a
/// cell of <see cref="MatrixCampaign"/> with the same budget rules (an expected failure gets
/// <c>failRuns</c> cases). <see cref="ClassCoverage.Weigh"/> then turns the verdicts into shares of sites.
/// </summary>
public static class ClassCampaign
{
    public static IReadOnlyList<ClassVerdict> Run(PatcherInfo patcher, IFetchModel model, SiteLayouts layouts, int runs, ulong seed, int maxCpus,
        int? failRuns = null, ScheduleSearch? search = null)
    {
        var verdicts = new List<ClassVerdict>();
        foreach (var (kind, @class, sites) in layouts.Classes)
        {
            var only = Subset(patcher, layouts, kind, @class);
            if (only is null)
            {
                verdicts.Add(new ClassVerdict(kind, @class, sites, 0, null));
                continue;
            }
            // The cell's seed also names the class, so classes do not share their cases.
            var cell = MatrixCampaign.RunCell(patcher, model, nmi: false, runs, seed ^ MatrixCampaign.StableHash($"{kind}/{@class}"), maxCpus, failRuns, search,
                afterCase: null, layouts: only);
            // The token names the whole distribution and the class: replay rebuilds the subset from them.
            var token = cell.Token is { } t ? t with { Layouts = layouts.Digest, LayoutClass = $"{kind}/{@class}" } : null;
            verdicts.Add(new ClassVerdict(kind, @class, sites, only.Total, cell.Passed, cell.Property, token?.ToString()));
        }
        return verdicts;
    }

    /// <summary>The bins of one layout class the patcher accepts where the workload places them (the same line offset), or null.</summary>
    public static SiteLayouts? Subset(PatcherInfo patcher, SiteLayouts layouts, SiteKind kind, AlignmentClass @class)
    {
        var probe = patcher.Create();
        return layouts.Only(kind, @class, b => probe.Accepts(new PatchSite("s0", Workload.SiteArea + (ulong)b.LineOffset, b.Kind, Workload.LengthOf(b.Kind))).Accepted);
    }

    /// <summary>The subset a token's <c>KIND/CLASS</c> names; a malformed or empty one throws an <see cref="ArgumentException"/>.</summary>
    public static SiteLayouts Subset(PatcherInfo patcher, SiteLayouts layouts, string layoutClass)
    {
        var p = layoutClass.Split('/');
        if (p.Length != 2 || !Enum.TryParse<SiteKind>(p[0], out var kind)) throw new ArgumentException($"layout class '{layoutClass}': expected KIND/CLASS, e.g. Call/s16@2");
        return Subset(patcher, layouts, kind, AlignmentClass.Parse(p[1]))
            ?? throw new ArgumentException($"layout class '{layoutClass}': {patcher.Name} accepts none of its sites in this distribution");
    }
}
