using System.CommandLine;
using System.Globalization;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// <c>check</c>: the main job. The verdict matrix (every patcher under every fetch model, each cell
/// a property over generated scenarios, failures shrunk) and the emulator's agreement with Iced.
/// Cells and instruction families run on <c>--threads</c> threads with the same results as one;
/// <c>--shard I/N</c> runs one deterministic part of the campaign (<c>merge</c> joins the parts).
/// Exit 0 when every verdict matches its expectation, 1 otherwise, 2 on bad usage.
/// </summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var patchers = new Option<string[]>("--patcher") { Description = "Only this patcher (repeatable)." };
        var models = new Option<string[]>("--model") { Description = "Only this fetch model (repeatable)." };
        var runs = new Option<int>("--runs") { Description = "Generated cases per matrix cell (a cell expected to fail may take 25 times as many to find its counterexample).", DefaultValueFactory = _ => 120 };
        var seed = new Option<string>("--seed") { Description = "Seed of the run (a non-negative whole number); the same seed gives the same run." };
        var maxCpus = new Option<int>("--max-cpus") { Description = "Most CPUs a generated scenario uses (1 to 8; with 1, the patching CPU runs the sites too).", DefaultValueFactory = _ => 4 };
        var emulatorRuns = new Option<int>("--emulator-runs") { Description = "Cases per instruction form for the emulator-vs-Iced check (0 skips it).", DefaultValueFactory = _ => 5 };
        var strategy = new Option<string>("--strategy")
        {
            Description = $"How cases get their schedules: {string.Join(", ", ScheduleSearch.All.Select(s => s.Name))} (default {ScheduleSearch.DefaultName}).",
            DefaultValueFactory = _ => ScheduleSearch.DefaultName,
        };
        var threads = new Option<int>("--threads") { Description = "Threads running cells at once (default: the processor count); the results do not depend on it.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string>("--shard") { Description = "Run only part I of N of the campaign (I/N, e.g. 1/2); merge joins the parts' JSON." };
        var plugin = new Worker.PluginOptions();
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file (- for standard output; the table then goes to standard error). Schema: spec/check-report.schema.json." };
        var junit = new Option<FileInfo?>("--junit") { Description = "Also write the results as JUnit XML to this file (- for standard output): one test case per cell (with --mutants: per mutant and model), a failure for each cell that disagrees with its expectation (a mutant that survives)." };
        var failureDb = StoredCases.Option();
        var layoutsFrom = LayoutsFrom.Option();
        var quick = new Option<bool>("--quick") { Description = "Only the random matrix: no bounded proof per cell (so no cell is verified; spec/verdicts.md, \"Settled verdicts\")." };
        var byClass = new Option<bool>("--by-class") { Description = "With --layouts-from: run each cell once per layout class of the scan and weigh the verdicts by the sites in each (spec/scan.md)." };
        var command = new Command("check", "Run the verdict matrix and the emulator check, and print a table of verdicts (--exhaustive: explore every schedule of a small scenario within a preemption bound; --mutants: the kill score of the suite's mutants).")
            { patchers, models, runs, seed, maxCpus, emulatorRuns, strategy, threads, shard, json, junit, quick, layoutsFrom, byClass, failureDb };
        plugin.AddTo(command);
        var exhaustive = new ExhaustiveCheck();
        exhaustive.AddTo(command);
        var mutants = new MutantsCheck();
        mutants.AddTo(command);
        command.SetAction(parse =>
        {
            mutants.CheckOptions(parse, [patchers, emulatorRuns, strategy, shard, quick, layoutsFrom, byClass, failureDb, plugin.Paths]);
            if (mutants.Requested(parse))
            {
                OutputPath.CheckAll(("--json", parse.GetValue(json)), ("--junit", parse.GetValue(junit)));
                var (bound, cpus) = exhaustive.ForMutants(parse);
                var a = parse.GetValue(runs);
                if (a <= 0) throw new UsageException($"--runs {a}: must be a positive number of cases");
                int max = parse.GetValue(maxCpus), t = parse.GetValue(threads);
                if (max is < 1 or > 8) throw new UsageException($"--max-cpus {max}: must be 1 to 8");
                if (t < 1) throw new UsageException($"--threads {t}: must be at least 1");
                return mutants.Execute(parse, new MutantsCheck.Settings(a, ParseSeed(parse.GetValue(seed)), max, t, bound, cpus), ChooseModels(parse.GetValue(models)), parse.GetValue(json), parse.GetValue(junit));
            }
            exhaustive.CheckOptions(parse, [runs, seed, maxCpus, emulatorRuns, strategy, quick, layoutsFrom, byClass]);
            // Before any work: a bad path must not cost the campaign.
            OutputPath.CheckAll(("--json", parse.GetValue(json)), ("--junit", parse.GetValue(junit)));
            // The exhaustive mode's shard is read before any plug-in is loaded (the matrix reads its own in Execute).
            var part = exhaustive.Requested(parse) && parse.GetValue(shard) is { } text ? Usage(() => Shard.Parse(text), null) : null;
            return exhaustive.Requested(parse)
                ? exhaustive.Execute(parse, ChoosePatchers(parse.GetValue(patchers), plugin.Read(parse)), ChooseModels(parse.GetValue(models)), parse.GetValue(json), Threads(parse.GetValue(threads)), parse.GetValue(junit), part)
                : Execute(new CheckArguments(parse.GetValue(patchers), parse.GetValue(models), parse.GetValue(runs), parse.GetValue(seed),
                    parse.GetValue(maxCpus), parse.GetValue(emulatorRuns), parse.GetValue(strategy)!, parse.GetValue(threads), parse.GetValue(shard),
                    plugin.Read(parse), parse.GetValue(json)) { LayoutsFrom = parse.GetValue(layoutsFrom), ByClass = parse.GetValue(byClass), FailureDb = parse.GetValue(failureDb), Junit = parse.GetValue(junit), Quick = parse.GetValue(quick) });
        });
        return command;
    }

    private static int Threads(int t) => t >= 1 ? t : throw new UsageException($"--threads {t}: must be at least 1");

    /// <summary>
    /// The patchers <c>--patcher</c> names (all, if none), from the catalog and <c>--plugin</c>s, and
    /// the plug-ins among them that did not load (named by their row: their name, else their type).
    /// </summary>
    private static PluginCatalog ChoosePatchers(string[]? names, string[]? plugins) => ChoosePatchers(names, Plugins.Load(plugins));

    private static PluginCatalog ChoosePatchers(string[]? names, PluginCatalog catalog)
    {
        if (names is not { Length: > 0 }) return catalog;
        foreach (var n in names)
            if (catalog.Patchers.All(p => p.Name != n) && catalog.Faults.All(f => f.Row != n))
                throw new UsageException($"--patcher {n}: unknown; known: {string.Join(", ", catalog.Patchers.Select(p => p.Name).Concat(catalog.Faults.Select(f => f.Row)))}");
        return new PluginCatalog(names.SelectMany(n => catalog.Patchers.Where(p => p.Name == n)).ToArray(), catalog.Faults.Where(f => names.Contains(f.Row)).ToArray());
    }

    /// <summary>The fetch models <c>--model</c> names (all, if none).</summary>
    private static IReadOnlyList<IFetchModel> ChooseModels(string[]? names) =>
        names is { Length: > 0 }
            ? names.Select(n => FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == n) ?? throw new UsageException($"--model {n}: unknown; known: {string.Join(", ", FetchModelRegistry.BuiltIn.Select(m => m.Name))}")).ToArray()
            : FetchModelRegistry.BuiltIn.ToArray();

    private sealed record CheckArguments(string[]? Patchers, string[]? Models, int Runs, string? Seed, int MaxCpus, int EmulatorRuns,
        string Strategy, int Threads, string? Shard, string[]? Plugins, FileInfo? Json)
    {
        public string? LayoutsFrom { get; init; }
        public bool ByClass { get; init; }
        public string? FailureDb { get; init; }
        public FileInfo? Junit { get; init; }
        public bool Quick { get; init; }
    }

    private static int Execute(CheckArguments a)
    {
        if (a.Runs <= 0) throw new UsageException($"--runs {a.Runs}: must be a positive number of cases");
        if (a.MaxCpus is < 1 or > 8) throw new UsageException($"--max-cpus {a.MaxCpus}: must be 1 to 8");
        if (a.EmulatorRuns < 0) throw new UsageException($"--emulator-runs {a.EmulatorRuns}: cannot be negative");
        if (a.Threads < 1) throw new UsageException($"--threads {a.Threads}: must be at least 1");
        ulong seed = ParseSeed(a.Seed);
        var search = Usage(() => ScheduleSearch.Get(a.Strategy), "--strategy");
        var shard = a.Shard is null ? Shard.All : Usage(() => Shard.Parse(a.Shard), null);
        var catalog = Plugins.Load(a.Plugins);
        var chosen = ChoosePatchers(a.Patchers, catalog);
        var stored = new StoredCases(a.FailureDb, catalog.Patchers);
        var fetchModels = ChooseModels(a.Models);
        var layouts = LayoutsFrom.Load(a.LayoutsFrom);
        if (a.ByClass)
        {
            if (layouts is null) throw new UsageException("--by-class needs --layouts-from FILE (the scan whose classes it weighs)");
            if (a.Shard is not null) throw new UsageException("--by-class runs whole patcher/model pairs: it has no --shard");
            if (a.Junit is not null) throw new UsageException("--junit has no meaning with --by-class (its JSON weighs classes, not cells)");
            // Plug-ins' cells by class run in one worker process, the whole command (a fault there is one line, exit 1).
            if (Worker.CommandRelay.Needed(a.Plugins ?? [])) return Worker.CommandRelay.Run(a.Plugins!);
            return ByClassCheck.Execute(chosen.Patchers, fetchModels, layouts, a.LayoutsFrom!, a.Runs, seed, a.MaxCpus, search, a.Json);
        }

        var allCells = CheckCells.Plan(chosen.Patchers, chosen.Faults, fetchModels);
        var allFamilies = a.EmulatorRuns > 0 ? EmulatorCampaign.Families : [];
        var cells = shard.Of(allCells);
        var families = shard.Of(allFamilies);
        CellOutcome[] results = [];
        FamilyResult[] emulator = [];
        new Progress(Terminal.Progress)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                // The display is not thread-safe: workers report through one lock.
                var gate = new object();
                var task = ctx.AddTask("verdict matrix", maxValue: Math.Max(1, cells.Count));
                var settings = new CheckCells.Settings(a.Runs, seed, a.MaxCpus, search) { Stored = stored, Layouts = layouts, LayoutsFrom = a.LayoutsFrom, FailureDb = a.FailureDb, Prove = !a.Quick };
                results = CampaignParallel.Map(cells, a.Threads, c => CheckCells.Run(c, settings), i =>
                {
                    lock (gate)
                    {
                        task.Description = $"matrix: {Markup.Escape(cells[i].Name)} / {cells[i].Model.Name}";
                        task.Increment(1);
                    }
                });
                task.Description = "verdict matrix";
                if (families.Count == 0) return;
                var emu = ctx.AddTask("emulator vs Iced", maxValue: families.Count);
                emulator = CampaignParallel.Map(families, a.Threads, f => EmulatorCampaign.RunFamily(f.Family, f.Codes, a.EmulatorRuns, seed),
                    _ => { lock (gate) emu.Increment(1); });
            });

        var report = new CheckReport(seed, a.Runs, a.MaxCpus, results.Select(r => r.Report).ToArray(), emulator.Select(CheckReport.Family).ToArray())
        {
            Options = new CheckOptionsReport(a.Patchers ?? [], a.Models ?? [], a.Runs, seed, a.MaxCpus, a.EmulatorRuns, search.Name, a.Plugins ?? [],
                a.LayoutsFrom, a.ByClass, a.FailureDb) { Quick = a.Quick },
            Strategy = search.Name,
            Plugins = chosen.Patchers.Where(p => p.IsPlugin).Select(p => new PluginReport(p.Name, Path.GetFileName((p.Origin ?? PluginOrigin.Of(p.Type)).AssemblyPath))).ToArray(),
            Shard = shard.IsAll ? null : new ShardReport(shard.Index, shard.Count, allCells.Count, allFamilies.Count)
                { CellNames = allCells.Select(c => CellReport.NameOf(c.Name, c.Model.Name, c.Nmi)).ToArray() },
        };
        stored.Print();
        Print(report, fetchModels.Select(m => m.Name).ToArray(), results.Select(r => r.Line).OfType<string>().ToArray());
        WriteReports(report, a.Json, a.Junit);
        return report.ExitCode;
    }

    /// <summary>The reports a run writes besides its table: <c>--json</c>, <c>--junit</c>, and GitHub's annotations when it runs in GitHub Actions.</summary>
    public static void WriteReports(CheckReport report, FileInfo? json, FileInfo? junit)
    {
        foreach (var line in Annotations.For(report, Environment.GetEnvironmentVariable)) Console.WriteLine(line);
        if (json is not null) OutputPath.Write("--json", json, report.ToJson());
        if (junit is not null) OutputPath.Write("--junit", junit, JunitReport.Xml(report));
    }

    /// <summary>The run's seed: <c>--seed</c>, or the default.</summary>
    private static ulong ParseSeed(string? text)
    {
        ulong seed = PropertySettings.DefaultSeed;
        if (text is not null && !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            throw new UsageException($"--seed: '{text}' is not a whole number from 0 to {ulong.MaxValue}");
        return seed;
    }

    /// <summary>Runs a parse that throws <see cref="ArgumentException"/> and turns it into a usage error (prefixed with the option, unless it names it).</summary>
    private static T Usage<T>(Func<T> parse, string? option)
    {
        try { return parse(); }
        catch (ArgumentException e) { throw new UsageException(option is null ? e.Message : $"{option}: {e.Message}"); }
    }

    /// <summary>
    /// What the bounded proofs settled: how many cells they verified and found, and for each cell
    /// that is neither verified nor failed, why not; for each cell the random cases failed while its
    /// proof verified the scenario, that the counterexample lies outside it.
    /// </summary>
    public static IEnumerable<string> ProofLines(CheckReport report)
    {
        var proved = report.Matrix.Where(c => c.Proof is not null).ToArray();
        if (proved.Length == 0)
        {
            if (report.Options is { Quick: true }) yield return "No bounded proof (--quick): no cell is verified.";
            yield break;
        }
        int verified = proved.Count(c => c.Verified), byProof = proved.Count(c => c.FoundBy?.EndsWith(CellOutcome.FoundByProof, StringComparison.Ordinal) == true);
        yield return $"Bounded proof per cell ({CellProof.Scope}): {verified} of {report.Matrix.Count} cells verified; " +
                     $"{byProof} counterexample(s) found by it ({proved.Count(c => c.FoundBy == CellOutcome.FoundByProof)} by it alone).";
        foreach (var c in proved.Where(c => c.Verdict == "pass" && !c.Verified))
            yield return $"  {CellText.Title(c)}: no counterexample in {c.CasesChecked} cases, not verified: {c.Proof!.Text}";
        foreach (var c in proved.Where(c => c.FoundBy is CellOutcome.FoundByRandom or CellOutcome.FoundByKept && c.Proof!.Outcome == ProofReport.Verified))
            yield return $"  {CellText.Title(c)}: found by {(c.FoundBy == CellOutcome.FoundByKept ? "a kept counterexample" : "the random cases")} ({c.ShrunkCpus} CPU{(c.ShrunkCpus == 1 ? "" : "s")}); the proof {c.Proof!.Text}: the counterexample lies outside its scenario";
    }

    /// <summary>The table of verdicts, one line per counterexample with its replay token (or per plug-in error), and the summary lines.</summary>
    public static void Print(CheckReport report, IReadOnlyList<string> models, IReadOnlyList<string>? lines = null, string replaySuffix = "") =>
        Print(AnsiConsole.Console, Console.Out, report, models, lines, replaySuffix);

    /// <summary>
    /// The same on <paramref name="console"/> (the table and the coloured lines) and <paramref name="text"/>
    /// (the lines that must not be wrapped: counterexamples and tokens).
    /// </summary>
    public static void Print(IAnsiConsole console, TextWriter text, CheckReport report, IReadOnlyList<string> models, IReadOnlyList<string>? lines = null, string replaySuffix = "")
    {
        string title = $"Verdict matrix (seed {report.Seed}, {report.RunsPerCell} cases per cell" +
                       $"{(report.Strategy is { } s && s != ScheduleSearch.DefaultName ? $", schedules by {s}" : "")}{(report.Shard is { } sh ? $", shard {sh.Index}/{sh.Count}" : "")})";
        console.Write(new Text(title + Environment.NewLine));
        console.Write(VerdictTable.Of(report, models, console.Profile.Width));
        foreach (var line in VerdictTable.NeedsBelow(report, models, console.Profile.Width)) console.Write(new Text(line + Environment.NewLine));
        console.MarkupLine(VerdictTable.Legend);
        int disagree = report.Matrix.Count(r => !r.Agrees && !r.Open);
        int open = report.Matrix.Count(r => r.Open);
        text.Flush();
        if (lines is not null)
            foreach (var line in lines) text.WriteLine(line);
        else
            foreach (var r in report.Matrix.Where(r => r.Verdict is "fail" or CellOutcome.Error && r.Violation is not null))
                text.WriteLine(r.Verdict == CellOutcome.Error
                    ? $"{r.Patcher} / {r.Model}{(r.NmiMayEndStiShadow ? " (NMI)" : "")}: {r.Property}: {r.Violation}"
                    : $"{r.Patcher} / {r.Model}{(r.NmiMayEndStiShadow ? " (NMI)" : "")}: {r.Property} {r.Violation} | {TokenLines.Replay(r.Replay!)}");
        if (report.Matrix.Any(r => r.Verdict == "fail" && r.Violation is not null))
            text.WriteLine($"Read one as a timeline: {TokenLines.ExplainHint(report.Matrix.Select(r => r.Replay))}{replaySuffix} (add --html page.html for a drawing, --json trace.json for the events).");
        foreach (var line in ProofLines(report)) text.WriteLine(line);
        text.Flush();
        var emulator = report.Emulator;
        if (emulator.Count > 0)
            console.MarkupLine(emulator.All(e => e.Verdict == "pass")
                ? $"[green]Emulator: all {emulator.Count} instruction families agree with Iced[/] ({emulator.Sum(e => e.Cases)} cases)."
                : $"[red]Emulator: {emulator.Count(e => e.Verdict != "pass")} instruction families disagree with Iced[/]: {string.Join(", ", emulator.Where(e => e.Verdict != "pass").Select(e => e.Family))}.");
        console.MarkupLine(disagree == 0
            ? $"[green]All {report.Matrix.Count - open} decided cells agree with their expectations[/]{(open > 0 ? $"; {open} open cell(s) not found in this run (spec/verdicts.md)" : "")}."
            : $"[red]{disagree} of {report.Matrix.Count} cells disagree with their expectations (marked {VerdictTable.Mark}).[/]");
    }
}
