using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Scanning;

namespace Conformance.Generators.Campaigns;

/// <summary>One cell of the verdict matrix: a patcher under a fetch model (and the NMI switch).</summary>
public sealed record MatrixCell(string Patcher, string Model, bool NmiMayEndStiShadow, ExpectedVerdict Expected, bool Passed, int Runs,
    PropertyOutcome? Failure, CaseResult? Shrunk, PatchCase? ShrunkCase)
{
    /// <summary>The token that replays the shrunk case's original failing case (<c>replay TOKEN</c>).</summary>
    public ReplayToken? Token { get; init; }

    /// <summary>Whether the counterexample is a kept one (<see cref="KeptCounterexamples"/>), replayed because the random cases found none.</summary>
    public bool Kept { get; init; }

    /// <summary>The cell's kept counterexamples that pass now (each a line saying so); empty when all still fail.</summary>
    public IReadOnlyList<string> KeptStale { get; init; } = [];

    /// <summary>The schedule search the cell ran with (<see cref="ScheduleSearch"/>).</summary>
    public string Strategy { get; init; } = ScheduleSearch.DefaultName;

    /// <summary>The first property the shrunk case violates (P1..P4), or null.</summary>
    public string? Property => Shrunk?.First?.Property;

    /// <summary>Whether the verdict is what history expects (undecided rows always agree: the suite decides).</summary>
    public bool Agrees => Expected switch
    {
        ExpectedVerdict.Pass => Passed,
        ExpectedVerdict.Fail => !Passed,
        _ => true,
    };

    public string Verdict => Passed ? "pass" : "fail";

    /// <summary>A cell listed in <see cref="MatrixCampaign.OpenCells"/> whose counterexample this run did not find.</summary>
    public bool IsOpen => !Passed || Expected != ExpectedVerdict.Fail ? false : MatrixCampaign.IsOpenCell(Patcher, NmiMayEndStiShadow);
}

/// <summary>
/// The verdict matrix: every patcher under every fetch model, each cell an FsCheck property over
/// generated scenarios (<see cref="PatchCaseGen"/>) checked by <see cref="PatchCheck"/>, with a
/// counterexample shrunk to a small case. A cell's seed is derived from the run's seed and the
/// cell's name (a stable hash), so cells do not depend on each other.
/// </summary>
public static class MatrixCampaign
{
    /// <summary>
    /// Cells whose expected failure random search does not yet find reliably within a normal
    /// budget (spec/verdicts.md, "Open cells"). They are run and reported as open, never as agreeing,
    /// and a failure found in them counts as usual. The one place this list lives.
    /// </summary>
    /// <remarks>
    /// Empty since interrupts can wait for an interrupt shadow (<see cref="ScheduledInterrupt.InShadow"/>):
    /// the `stub-per-call-sti` cells with the NMI switch, open before, are now found in every model.
    /// </remarks>
    public static readonly IReadOnlyList<(string Patcher, bool Nmi, string Why)> OpenCells = [];

    /// <summary>FsCheck's largest size for a cell's cases (a replay token's size is at most this).</summary>
    public const int EndSize = 50;

    public static bool IsOpenCell(string patcher, bool nmi) => OpenCells.Any(o => o.Patcher == patcher && o.Nmi == nmi);

    /// <summary>
    /// What history expects of a cell: fail if some declared failure applies under this model and
    /// switch (for some transition or ABI the generator produces), else undecided if some undecided
    /// one does, else pass.
    /// </summary>
    public static ExpectedVerdict CellExpectation(IReadOnlyList<Expectation> rules, string model, bool nmi)
    {
        var verdicts = Situations(rules, model, nmi).Select(e => e?.Verdict ?? ExpectedVerdict.Pass).ToArray();
        return verdicts.Contains(ExpectedVerdict.Fail) ? ExpectedVerdict.Fail
            : verdicts.Contains(ExpectedVerdict.Undecided) ? ExpectedVerdict.Undecided
            : ExpectedVerdict.Pass;
    }

    /// <summary>
    /// The expectation that wins (first match) in every situation the generator can produce under
    /// this model and switch: every transition between instruction classes, for either ABI.
    /// </summary>
    private static IEnumerable<Expectation?> Situations(IReadOnlyList<Expectation> rules, string model, bool nmi) =>
        from source in Enum.GetValues<InstructionClass>()
        from to in Enum.GetValues<InstructionClass>()
        from abi in new[] { Abi.C, Abi.CalleeSaved }
        select Expect.For(rules, model, new Transition(source, to), abi, nmi);

    /// <summary>The failure kind history gives for the cell, if it expects one.</summary>
    public static FailureKind? ExpectedFailure(IReadOnlyList<Expectation> rules, string model, bool nmi) =>
        Situations(rules, model, nmi).FirstOrDefault(e => e?.Verdict == ExpectedVerdict.Fail)?.Failure;

    /// <summary>The properties that show a failure kind (a reused stub shows as a wrong continuation, or as a task left inside it).</summary>
    public static IReadOnlyList<string> PropertiesFor(FailureKind kind) => kind switch
    {
        FailureKind.TornDecode => [OldNewOrTrap.Id],
        FailureKind.Deadlock => [PatchCheck.Liveness],
        FailureKind.ReusedStub => [EquivalentEffect.Id, PatchCheck.Completion],
        // Interleaved writers show in the final bytes, or earlier as a fetch of the mix or a visit of it.
        FailureKind.MixedWriters => [PatchCheck.SingleWriter, OldNewOrTrap.Id, EquivalentEffect.Id],
        _ => [EquivalentEffect.Id],
    };

    /// <summary>The cells: every patcher under every model; a patcher whose expectations name the NMI switch gets both settings.</summary>
    public static IEnumerable<(PatcherInfo Patcher, IFetchModel Model, bool Nmi)> Cells(IEnumerable<PatcherInfo> patchers, IEnumerable<IFetchModel> models) =>
        from p in patchers
        from m in models
        from nmi in p.Expectations.Any(e => e.NmiMayEndStiShadow is not null) ? new[] { false, true } : new[] { false }
        select (p, m, nmi);

    /// <summary>
    /// Runs one cell. A cell history expects to fail gets <paramref name="failRuns"/> cases to find
    /// its counterexample (the search stops at the first); the others get <paramref name="runs"/>.
    /// <paramref name="search"/> says how cases get their schedules (default: generated runs); the
    /// cell's cases are the same for every search but for who runs when. <paramref name="afterCase"/>,
    /// if given, hears each checked case's result (shrink attempts included), for timing and campaigns.
    /// </summary>
    public static MatrixCell RunCell(PatcherInfo patcher, IFetchModel model, bool nmi, int runs, ulong seed, int maxCpus = 4, int? failRuns = null,
        ScheduleSearch? search = null, Action<CaseResult>? afterCase = null, SiteLayouts? layouts = null)
    {
        if (CellExpectation(patcher.Expectations, model.Name, nmi) == ExpectedVerdict.Fail && failRuns is { } more) runs = Math.Max(runs, more);
        search ??= ScheduleSearch.UniformRandom;
        var settings = new PropertySettings(runs, seed ^ StableHash($"{patcher.Name}/{model.Name}/{nmi}"), PropertySettings.DefaultGamma, EndSize: EndSize);
        string name = $"{patcher.Name} under {model.Name}{(nmi ? " (NMI may end the STI shadow)" : "")}{(search.IsDefault ? "" : $", schedules by {search.Name}")}";
        var cell = Check(name, patcher, model, nmi, maxCpus, settings, search, token: null, afterCase, layouts);
        return cell.Passed && layouts is null ? WithKept(cell, patcher, model, nmi, maxCpus) : cell;
    }

    /// <summary>
    /// A cell whose random cases found nothing, with its kept counterexamples (<see cref="KeptCounterexamples"/>)
    /// replayed: the first that still fails is the cell's counterexample; one that passes now is said.
    /// A kept case of more CPUs than the run allows (<c>--max-cpus</c>) is outside the run and not replayed.
    /// </summary>
    private static MatrixCell WithKept(MatrixCell cell, PatcherInfo patcher, IFetchModel model, bool nmi, int maxCpus)
    {
        var stale = new List<string>();
        foreach (var kept in KeptCounterexamples.Of(patcher.Name, model.Name, nmi))
        {
            var token = ReplayToken.Parse(kept.Token);
            if (token.MaxCpus > maxCpus) continue;
            var replayed = Replay(token, [patcher]);
            if (!replayed.Passed)
                return replayed with { Runs = cell.Runs + 1, Expected = cell.Expected, Kept = true, KeptStale = stale };
            stale.Add($"kept counterexample {kept.Token} (found with {kept.FoundWith}) passes now: find the cell's counterexample again (spec/verdicts.md, Settled verdicts)");
        }
        return stale.Count == 0 ? cell : cell with { KeptStale = stale };
    }

    /// <summary>
    /// Re-runs the case a token names: FsCheck regenerates the same scenario from the triple and
    /// shrinks it again, deterministically, so the result is the cell's shrunk case.
    /// </summary>
    public static MatrixCell Replay(ReplayToken token, IReadOnlyList<PatcherInfo> catalog, SiteLayouts? layouts = null)
    {
        // A case drawn from scanned layouts is the same case only with the same distribution.
        if (token.Layouts != layouts?.Digest)
            throw new ArgumentException(token.Layouts is null
                ? "this token was made without --layouts-from; replay it without one"
                : layouts is null
                    ? $"this token was made with --layouts-from (layouts {token.Layouts}); pass --layouts-from with the same scan"
                    : $"--layouts-from gives layouts {layouts.Digest}, but the token was made with layouts {token.Layouts}");
        var patcher = Checking.Tokens.TokenPatcher.Find(token.Patcher, token.Plugin, catalog);
        var model = FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == token.Model)
            ?? throw new ArgumentException($"replay token names fetch model '{token.Model}', which does not exist");
        if (token.LayoutClass is { } layoutClass) layouts = ClassCampaign.Subset(patcher, layouts!, layoutClass);
        var settings = new PropertySettings(1, 0, 1, Replay: (token.Seed, token.Gamma, token.Size), EndSize: EndSize);
        return Check($"replay {token}", patcher, model, token.Nmi, token.MaxCpus, settings, ScheduleSearch.Get(token.Strategy), token, afterCase: null, layouts);
    }

    /// <summary>The property of one cell under the given settings; a failure comes back shrunk, traced, with its token.</summary>
    private static MatrixCell Check(string name, PatcherInfo patcher, IFetchModel model, bool nmi, int maxCpus, PropertySettings settings,
        ScheduleSearch search, ReplayToken? token, Action<CaseResult>? afterCase, SiteLayouts? layouts)
    {
        var probe = patcher.Create();
        IReadOnlyList<string> Problems(PatchCaseGenome g)
        {
            var result = PatchCheck.Run(patcher.Create, model, PatchCaseRealizer.Realize(g, probe), nmi);
            afterCase?.Invoke(result);
            return result.Violations.Select(v => v.ToString()).ToArray();
        }
        // An explored run, recorded as the runs it took (the same run, now data that shrinks).
        PatchCaseGenome Record(PatchCaseGenome g) =>
            g with
            {
                Explore = null,
                Runs = PatchCheck.Run(patcher.Create, model, PatchCaseRealizer.Realize(g, probe), nmi).Schedule!.Runs.Select(r => new RunGenome(r.Cpu, r.Steps)).ToArray(),
            };
        // After FsCheck's shrinking, the suite's own minimization (CaseMinimizer), checked under the same model and switch.
        // A patcher from outside the suite's library (a plug-in, whose runs cross a process boundary each,
        // or the same type loaded in process: both minimize alike) does without the explorer's schedules;
        // a schedule is not explored on more CPUs than the cell may have (--max-cpus).
        CaseMinimizer.Reschedule? reschedule = patcher.IsPlugin || patcher.Type.Assembly != typeof(IPatcher).Assembly ? null
            : (g, property, interrupts) => Math.Clamp(g.Cpus, 2, 3) > maxCpus ? null : ExploredSchedule.Of(g, property, interrupts, patcher.Create, probe, model, nmi, out _);
        PatchCaseGenome Minimize(PatchCaseGenome g) =>
            CaseMinimizer.Minimize(g, x => PatchCheck.Run(patcher.Create, model, PatchCaseRealizer.Realize(x, probe), nmi).First, reschedule: reschedule);
        var outcome = PropertyRunner.Run(name, PatchCaseGen.Arbitrary(maxCpus, search, Record, layouts), Problems, settings,
            describe: g => PatchCaseRealizer.Realize(g, probe).ToString(), minimize: Minimize);
        var expected = CellExpectation(patcher.Expectations, model.Name, nmi);
        if (outcome.Passed) return new MatrixCell(patcher.Name, model.Name, nmi, expected, true, outcome.Tests, null, null, null) { Token = token, Strategy = search.Name };
        var shrunkCase = outcome.Shrunk is PatchCaseGenome g ? PatchCaseRealizer.Realize(g, probe) : null;
        var shrunk = shrunkCase is null ? null : PatchCheck.Run(patcher.Create, model, shrunkCase, nmi, recordTrace: true);
        token ??= TokenOf(patcher.Name, model.Name, nmi, maxCpus, outcome.ReplayTriple!) with { Strategy = search.Name, Plugin = patcher.Plugin, Layouts = layouts?.Digest };
        return new MatrixCell(patcher.Name, model.Name, nmi, expected, false, outcome.Tests, outcome, shrunk, shrunkCase) { Token = token, Strategy = search.Name };
    }

    private static ReplayToken TokenOf(string patcher, string model, bool nmi, int maxCpus, string triple)
    {
        var p = triple.Split(',');
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return new ReplayToken(patcher, model, nmi, maxCpus, ulong.Parse(p[0], culture), ulong.Parse(p[1], culture), int.Parse(p[2], culture));
    }

    /// <summary>FNV-1a of a string: stable across processes and machines (string.GetHashCode is not).</summary>
    public static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }
}
