using System.Collections.Concurrent;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Support;

/// <summary>
/// The verdict matrix cells at the tests' fixed seed and budgets, each run once per test process:
/// the matrix test and the approved timelines ask for the same cells, and the second asker gets
/// the first one's result (runs are deterministic, so sharing changes nothing but the time).
/// </summary>
public static class MatrixCells
{
    /// <summary>Cases per cell expected to pass (or undecided), and the most a cell expected to fail may take to find its counterexample.</summary>
    public const int PassRuns = 120, FailRuns = 3000;
    public const ulong Seed = PropertySettings.DefaultSeed;

    private static readonly ConcurrentDictionary<(string, string, bool, int), Lazy<MatrixCell>> Cells = new();

    /// <summary>
    /// The cell with <paramref name="runs"/> cases (a cell expected to fail gets up to
    /// <see cref="FailRuns"/> to find its counterexample; an open cell only <see cref="PassRuns"/>:
    /// searching it longer is what CONFORMANCE_RUNS is for).
    /// </summary>
    public static MatrixCell Get(string patcher, string model, bool nmi, int runs = PassRuns) =>
        Cells.GetOrAdd((patcher, model, nmi, runs), key => new Lazy<MatrixCell>(() =>
            MatrixCampaign.RunCell(PatcherRegistry.Get(patcher), FetchModelRegistry.Get(model), nmi, runs, Seed,
                failRuns: MatrixCampaign.IsOpenCell(patcher, nmi) ? PassRuns : FailRuns))).Value;
}
