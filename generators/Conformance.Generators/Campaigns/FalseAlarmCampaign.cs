using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Generators.Campaigns;

/// <summary>One cell of the false-alarm campaign: a cell history expects to pass, searched with scenarios of up to <see cref="MaxCpus"/> CPUs.</summary>
/// <param name="Patcher">The patcher.</param>
/// <param name="Model">The fetch model.</param>
/// <param name="Nmi">The NMI-may-end-the-STI-shadow switch.</param>
/// <param name="MaxCpus">The most CPUs a generated case may have.</param>
/// <param name="Cases">Generated cases checked (to the first failure, when there was one).</param>
/// <param name="LongestStall">The most fair-run steps any passing case went without writer progress.</param>
/// <param name="StallShare">The largest share of its own liveness window (<see cref="LivenessWindow.For"/>) a passing case's stall took: the margin is 1 / this.</param>
/// <param name="Alarm">The failing cell, shrunk, when a case failed: a correct scheme accused (or a real bug in a scheme history trusts).</param>
public sealed record AlarmCell(string Patcher, string Model, bool Nmi, int MaxCpus, int Cases, long LongestStall, double StallShare, MatrixCell? Alarm);

/// <summary>
/// The false-alarm campaign of spec/performance.md: every matrix cell that history expects to pass
/// (a correct scheme under a model it is correct under), at every largest CPU count 1 to 8, each a
/// property search as the matrix runs it. A failure in any of them is an alarm: either the checker
/// accuses a correct scheme (the worst defect a checker can have) or history was wrong. Each cell also
/// reports the longest stall its passing cases had, against the liveness window they were given: the
/// margin P4 has over a correct run. Deterministic: a cell's seed comes from the run's seed and the cell.
/// </summary>
public static class FalseAlarmCampaign
{
    /// <summary>The cells history expects to pass, in matrix order.</summary>
    public static IReadOnlyList<(PatcherInfo Patcher, IFetchModel Model, bool Nmi)> ExpectedToPass(IEnumerable<PatcherInfo> patchers, IEnumerable<IFetchModel> models) =>
        MatrixCampaign.Cells(patchers, models)
            .Where(c => MatrixCampaign.CellExpectation(c.Patcher.Expectations, c.Model.Name, c.Nmi) == ExpectedVerdict.Pass)
            .ToArray();

    /// <summary>Runs one cell with <paramref name="runs"/> cases of up to <paramref name="maxCpus"/> CPUs.</summary>
    public static AlarmCell Run(PatcherInfo patcher, IFetchModel model, bool nmi, int maxCpus, int runs, ulong seed)
    {
        long stall = 0;
        double share = 0;
        // The CPU bound is part of the cell's seed, so the eight searches of a cell draw different cases.
        var cell = MatrixCampaign.RunCell(patcher, model, nmi, runs, seed ^ MatrixCampaign.StableHash($"alarms/max-cpus={maxCpus}"), maxCpus,
            afterCase: r =>
            {
                if (!r.Passed || r.LivenessWindowSteps <= 0) return;
                stall = Math.Max(stall, r.LongestStall);
                share = Math.Max(share, (double)r.LongestStall / r.LivenessWindowSteps);
            });
        return new AlarmCell(patcher.Name, model.Name, nmi, maxCpus, cell.Runs, stall, share, cell.Passed ? null : cell);
    }
}
