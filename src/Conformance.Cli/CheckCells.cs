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

    /// <summary>The stored counterexamples the cell replayed first (when it ran in a worker: to print with the others).</summary>
    public IReadOnlyList<StoredCases.Replayed> Replays { get; init; } = [];

    /// <param name="r">The cell.</param>
    /// <param name="replaySuffix">What the replay line adds after the token's (<c>--layouts-from FILE</c>).</param>
    public static CellOutcome Of(MatrixCell r, string replaySuffix = "")
    {
        string? line = r.Passed || r.Shrunk is null ? null
            : $"{r.Patcher} / {r.Model}{(r.NmiMayEndStiShadow ? " (NMI)" : "")}: {(r.Kept ? "(a kept counterexample, spec/verdicts.md) " : "")}{r.Shrunk.First} | {TokenLines.Replay(r.Token!.ToString())}{replaySuffix}";
        // A kept counterexample that passes now is said under the table, with the cell's own line.
        if (r.KeptStale.Count > 0) line = string.Join(Environment.NewLine, r.KeptStale.Select(k => $"{r.Patcher} / {r.Model}: {k}").Prepend(line).OfType<string>());
        return new(CheckReport.Cell(r) with { FoundBy = r.Passed ? null : r.Kept ? FoundByKept : FoundByRandom }, line);
    }

    /// <summary>The searches a counterexample may be found by (<see cref="CellReport.FoundBy"/>; with the proof too: <c>random+exhaustive</c>, <c>kept+exhaustive</c>).</summary>
    public const string FoundByRandom = "random", FoundByKept = "kept", FoundByProof = "exhaustive";

    /// <summary>A cell that has no verdict because of a plug-in fault: an error that disagrees with any expectation.</summary>
    public static CellOutcome Faulted(string patcher, string model, bool nmi, IReadOnlyList<Expectation> expectations, string message) =>
        new(new CellReport(patcher, model, nmi, Error, ExpectedText(MatrixCampaign.CellExpectation(expectations, model, nmi)), false, false, 0, null, null,
                PluginError, null, null, message, null),
            $"{patcher} / {model}{(nmi ? " (NMI)" : "")}: {PluginError}: {message}");

    /// <summary>
    /// The cell with its bounded proof: verified when the proof verified it and the random cases
    /// found nothing; failed, found by the proof, when only the proof found a counterexample (its
    /// line then gives the proof's <c>cx2</c> token); the random search's result otherwise, with
    /// whether the proof found one too.
    /// </summary>
    public CellOutcome WithProof(ProofReport proof)
    {
        var r = Report;
        bool found = proof.Outcome == ProofReport.Counterexample;
        if (r.Verdict == Error) return this with { Report = r with { Proof = proof } };
        if (r.Verdict == "fail")
            return this with { Report = r with { Proof = proof, FoundBy = found ? $"{r.FoundBy ?? FoundByRandom}+{FoundByProof}" : r.FoundBy ?? FoundByRandom } };
        if (!found)
            return this with { Report = r with { Proof = proof, Verified = proof.Outcome == ProofReport.Verified } };
        var failed = r with
        {
            Verdict = "fail", Agrees = r.Expected != "pass", Open = false, Proof = proof, FoundBy = FoundByProof,
            Property = proof.Property, Violation = proof.Violation, Replay = proof.Replay, CasesToFirstFailure = null, Shrinks = null,
            ShrunkCpus = proof.Cpus, ShrunkSteps = proof.Steps, Case = null, ViolationStep = null, ViolationClock = null,
        };
        return this with
        {
            Report = failed,
            Line = $"{CellText.Title(r)}: found by the bounded proof ({proof.CounterexamplePreemptions} preemption(s), {proof.Steps} steps; " +
                   $"none in {r.CasesChecked} random cases): {proof.Property} {proof.Violation} | {TokenLines.Replay(proof.Replay!)}",
        };
    }

    private static string ExpectedText(ExpectedVerdict v) => v switch { ExpectedVerdict.Pass => "pass", ExpectedVerdict.Fail => "fail", _ => "none" };
}

/// <summary>
/// <c>check</c>'s cells: planned (every patcher under every model, then every plug-in that did not
/// load) and run, a built-in in this process, a plug-in in a worker process (<see cref="WorkerProcess"/>)
/// whose fault becomes the cell's error while every other cell keeps its result.
/// </summary>
public static class CheckCells
{
    /// <summary>What every cell of one run shares: its cases, seed, CPUs and schedule search, the failure database and the scanned layouts.</summary>
    public sealed record Settings(int Runs, ulong Seed, int MaxCpus, ScheduleSearch Search)
    {
        /// <summary>The failure database's side of the run (stored cases replayed first), or null for none.</summary>
        public StoredCases? Stored { get; init; }
        /// <summary>The setting it was opened with (a worker opens the same).</summary>
        public string? FailureDb { get; init; }
        public Conformance.Scanning.SiteLayouts? Layouts { get; init; }
        /// <summary>The <c>--layouts-from</c> path (a worker loads the same).</summary>
        public string? LayoutsFrom { get; init; }
        /// <summary>Run each cell's bounded proof after its random cases (off with <c>--quick</c>).</summary>
        public bool Prove { get; init; }
    }

    public static IReadOnlyList<PlannedCell> Plan(IReadOnlyList<PatcherInfo> patchers, IReadOnlyList<PluginFault> faults, IReadOnlyList<IFetchModel> models) =>
        MatrixCampaign.Cells(patchers, models).Select(c => new PlannedCell(c.Patcher, null, c.Model, c.Nmi))
            .Concat(from f in faults from m in models select new PlannedCell(null, f, m, false))
            .ToArray();

    public static CellOutcome Run(PlannedCell cell, Settings s)
    {
        if (cell.Fault is { } fault) return CellOutcome.Faulted(fault.Row, cell.Model.Name, cell.Nmi, [], fault.Message);
        var p = cell.Patcher!;
        int failRuns = FailRuns(p, cell.Nmi, s.Runs);
        if (!p.IsPlugin) return RunHere(p, cell.Model, cell.Nmi, s, failRuns);
        var origin = p.Origin ?? PluginOrigin.Of(p.Type);
        var outcome = WorkerProcess.Run(new WorkerRequest(WorkerRequest.MatrixCell)
        {
            Assembly = origin.AssemblyPath, Type = origin.TypeName, Name = p.Name, Plugin = p.Plugin,
            Matrix = new MatrixJob(cell.Model.Name, cell.Nmi, s.Runs, failRuns, s.Seed, s.MaxCpus, s.Search.Name)
            {
                FailureDb = s.Stored is { On: true } ? s.FailureDb : "off", LayoutsFrom = s.LayoutsFrom, Prove = s.Prove,
            },
        }, origin, p.Name, PluginLimits.Current);
        if (outcome.Result is not { } result)
            return CellOutcome.Faulted(p.Name, cell.Model.Name, cell.Nmi, p.Expectations, outcome.Fault?.Message ?? outcome.Failure!);
        var done = result.ValueAs<CellOutcome>();
        s.Stored?.Add(done.Replays);
        return done;
    }

    /// <summary>
    /// One cell in this process (a built-in's here, a plug-in's in its worker), its stored cases first:
    /// the same code both ways, so a cell's result does not depend on where it ran.
    /// </summary>
    public static CellOutcome RunHere(PatcherInfo p, IFetchModel model, bool nmi, Settings s, int failRuns)
    {
        MatrixCell Campaign() => MatrixCampaign.RunCell(p, model, nmi, s.Runs, s.Seed, s.MaxCpus, failRuns: failRuns, search: s.Search, layouts: s.Layouts);
        var cell = s.Stored is { } stored ? stored.Run(p, model, nmi, Campaign, s.Layouts) : Campaign();
        var outcome = CellOutcome.Of(cell, global::Conformance.Cli.LayoutsFrom.Suffix(s.LayoutsFrom));
        return s.Prove ? outcome.WithProof(CellProof.Run(p, model, nmi)) : outcome;
    }

    /// <summary>The cases a cell expected to fail may take to find its counterexample: 25 times as many, but for an open cell (searching it longer is what --runs is for).</summary>
    public static int FailRuns(PatcherInfo p, bool nmi, int runs) => MatrixCampaign.IsOpenCell(p.Name, nmi) ? runs : runs * 25;
}
