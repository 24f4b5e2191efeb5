using Conformance.Cli.Worker;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>One cell of <c>check</c>'s matrix as planned: a patcher (built-in or plug-in) under a model, or a plug-in that did not load.</summary>
public sealed record PlannedCell(PatcherInfo? Patcher, PluginFault? Fault, IFetchModel Model, bool Nmi)
{
    /// <summary>The patcher's name, or the row of the plug-in that did not load.</summary>
    public string Name => Patcher?.Name ?? Fault!.Row;
}

/// <summary>One cell's result as the table and the JSON show it, and the line printed under the table (a counterexample or an error), if any.</summary>
public sealed record CellOutcome(CellReport Report, string? Line)
{
    /// <summary>The verdict and property of a cell a plug-in fault kept from a result.</summary>
    public const string Error = "error", PluginError = "plugin-error";

    public static CellOutcome Of(MatrixCell r) => new(CheckReport.Cell(r),
        r.Passed || r.Shrunk is null ? null : $"{r.Patcher} / {r.Model}{(r.NmiMayEndStiShadow ? " (NMI)" : "")}: {r.Shrunk.First} | {TokenLines.Replay(r.Token!.ToString())}");

    /// <summary>A cell that has no verdict because of a plug-in fault: an error that disagrees with any expectation.</summary>
    public static CellOutcome Faulted(string patcher, string model, bool nmi, IReadOnlyList<Expectation> expectations, string message) =>
        new(new CellReport(patcher, model, nmi, Error, ExpectedText(MatrixCampaign.CellExpectation(expectations, model, nmi)), false, false, 0,
                PluginError, null, null, message, null),
            $"{patcher} / {model}{(nmi ? " (NMI)" : "")}: {PluginError}: {message}");

    private static string ExpectedText(ExpectedVerdict v) => v switch { ExpectedVerdict.Pass => "pass", ExpectedVerdict.Fail => "fail", _ => "none" };
}

/// <summary>
/// <c>check</c>'s cells: planned (every patcher under every model, then every plug-in that did not
/// load) and run, a built-in in this process, a plug-in in a worker process (<see cref="WorkerProcess"/>)
/// whose fault becomes the cell's error while every other cell keeps its result.
/// </summary>
public static class CheckCells
{
    /// <summary>What every cell of one run shares: its cases, seed, CPUs and schedule search.</summary>
    public sealed record Settings(int Runs, ulong Seed, int MaxCpus, ScheduleSearch Search);

    public static IReadOnlyList<PlannedCell> Plan(IReadOnlyList<PatcherInfo> patchers, IReadOnlyList<PluginFault> faults, IReadOnlyList<IFetchModel> models) =>
        MatrixCampaign.Cells(patchers, models).Select(c => new PlannedCell(c.Patcher, null, c.Model, c.Nmi))
            .Concat(from f in faults from m in models select new PlannedCell(null, f, m, false))
            .ToArray();

    public static CellOutcome Run(PlannedCell cell, Settings s)
    {
        if (cell.Fault is { } fault) return CellOutcome.Faulted(fault.Row, cell.Model.Name, cell.Nmi, [], fault.Message);
        var p = cell.Patcher!;
        // An open cell gets the ordinary budget: searching it longer is what --runs is for.
        int failRuns = MatrixCampaign.IsOpenCell(p.Name, cell.Nmi) ? s.Runs : s.Runs * 25;
        if (!p.IsPlugin)
            return CellOutcome.Of(MatrixCampaign.RunCell(p, cell.Model, cell.Nmi, s.Runs, s.Seed, s.MaxCpus, failRuns: failRuns, search: s.Search));
        var origin = p.Origin ?? PluginOrigin.Of(p.Type);
        var outcome = WorkerProcess.Run(new WorkerRequest(WorkerRequest.MatrixCell)
        {
            Assembly = origin.AssemblyPath, Type = origin.TypeName, Name = p.Name, Plugin = p.Plugin,
            Matrix = new MatrixJob(cell.Model.Name, cell.Nmi, s.Runs, failRuns, s.Seed, s.MaxCpus, s.Search.Name),
        }, origin, p.Name, PluginLimits.Current);
        return outcome.Result is { } result
            ? result.ValueAs<CellOutcome>()
            : CellOutcome.Faulted(p.Name, cell.Model.Name, cell.Nmi, p.Expectations, outcome.Fault?.Message ?? outcome.Failure!);
    }
}
