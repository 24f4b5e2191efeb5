using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// <c>check --exhaustive</c>: bounded exhaustive exploration (spec/exhaustive.md) of a small scenario
/// for every chosen patcher under every chosen fetch model. Each cell prints "verified: no
/// counterexample within K preemptions, N executions explored" or the counterexample (property,
/// violation, schedule, replay token). Exit 0 when every cell agrees with the patcher's declared
/// expectation, 1 otherwise; an expected failure the scenario cannot show is reported as out of reach.
/// </summary>
public sealed class ExhaustiveCheck
{
    private readonly Option<bool> _exhaustive = new("--exhaustive") { Description = "Explore every schedule of a small scenario within a preemption bound, instead of the random matrix (spec/exhaustive.md)." };
    private readonly Option<string> _preemptions = new("--preemptions") { Description = "With --exhaustive: the most preemptions an execution may make (0 to 8), or 'unbounded': every schedule, the visited states ending the search.", DefaultValueFactory = _ => "2" };
    private readonly Option<int> _cpus = new("--cpus") { Description = "With --exhaustive: CPUs in the scenario, the last one patching (2 or 3).", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _sites = new("--sites") { Description = "With --exhaustive: sites patched in one batch (1 or 2).", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _iterations = new("--iterations") { Description = "With --exhaustive: loop iterations each reader runs (1 to 8).", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _stepBudget = new("--step-budget") { Description = "With --exhaustive: machine steps per execution (10 to 100,000).", DefaultValueFactory = _ => 400 };
    private readonly Option<int> _maxExecutions = new("--max-executions") { Description = "With --exhaustive: give up (incomplete) after this many executions per cell.", DefaultValueFactory = _ => 200_000 };
    private readonly Option<bool> _irqsOff = new("--irqs-off") { Description = "With --exhaustive: run every site inside an IRQs-off region (cli ... sti)." };
    private readonly Option<bool> _noReduction = new("--no-reduction") { Description = "With --exhaustive: a scheduling point after every step (to audit the reduction; many more executions)." };

    private readonly Option<string> _layouts = new("--layout-classes")
    {
        Description = "With --exhaustive: which layouts of the sites to explore: preferred (site 0 at line offset 62, site 1 at 30), all (one line offset per layout class of each fetch model, spec/exhaustive.md) or every-offset (every offset the patcher accepts).",
        DefaultValueFactory = _ => "preferred",
    };

    private Option<bool>[] Flags => [_irqsOff, _noReduction];
    private Option[] Numbers => [_preemptions, _cpus, _sites, _iterations, _stepBudget, _maxExecutions];

    /// <summary>--preemptions: a number 0 to 8 or "unbounded"; anything else is a usage error naming the option.</summary>
    private int Preemptions(ParseResult parse)
    {
        string text = parse.GetValue(_preemptions)!.Trim();
        if (text.Equals("unbounded", StringComparison.OrdinalIgnoreCase)) return ExhaustiveBound.Unbounded;
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int k))
            throw new UsageException($"--preemptions '{text}': a number 0 to {ExhaustiveBound.MaxPreemptions}, or 'unbounded'");
        if (k is < 0 or > ExhaustiveBound.MaxPreemptions)
            throw new UsageException($"--preemptions {k}: 0 to {ExhaustiveBound.MaxPreemptions} (beyond that use 'unbounded', which the visited states make finite)");
        return k;
    }

    /// <summary>Adds the exhaustive options to <c>check</c>.</summary>
    public void AddTo(Command check)
    {
        check.Options.Add(_exhaustive);
        foreach (var o in Numbers) check.Options.Add(o);
        foreach (var o in Flags) check.Options.Add(o);
        check.Options.Add(_layouts);
    }

    /// <summary>Whether the command line asks for the exhaustive mode.</summary>
    public bool Requested(ParseResult parse) => parse.GetValue(_exhaustive);

    /// <summary>
    /// Refuses options that belong to the other mode: exhaustive options without <c>--exhaustive</c>,
    /// and the matrix's options (<paramref name="matrixOnly"/>) with it.
    /// </summary>
    public void CheckOptions(ParseResult parse, IEnumerable<Option> matrixOnly)
    {
        bool exhaustive = Requested(parse);
        foreach (var o in Numbers.Concat(Flags).Append(_layouts))
            if (!exhaustive && Given(parse, o)) throw new UsageException($"{o.Name} belongs to the exhaustive mode: add --exhaustive");
        foreach (var o in matrixOnly)
            if (exhaustive && Given(parse, o)) throw new UsageException($"{o.Name} has no meaning with --exhaustive (it sets the random matrix)");
    }

    private static bool Given(ParseResult parse, Option o) => parse.GetResult(o) is { Implicit: false };

    /// <summary>
    /// For <c>check --mutants</c>: refuses the options of this mode it has no use for (<c>--exhaustive</c>,
    /// <c>--sites</c>, which each mutant sets, <c>--irqs-off</c>, <c>--no-reduction</c>) and reads the
    /// bound and CPU count from the others, checked as the exhaustive mode checks them.
    /// </summary>
    public (ExhaustiveBound Bound, int Cpus) ForMutants(ParseResult parse)
    {
        foreach (var o in new Option[] { _exhaustive, _sites, _irqsOff, _noReduction, _layouts })
            if (Given(parse, o)) throw new UsageException($"{o.Name} has no meaning with --mutants (each mutant sets its own scenario)");
        int cpus = parse.GetValue(_cpus);
        if (cpus is < 2 or > 3) throw new UsageException($"--cpus {cpus}: the exhaustive scenario has 2 or 3 CPUs");
        var bound = new ExhaustiveBound(Preemptions(parse), parse.GetValue(_iterations), parse.GetValue(_stepBudget),
            Given(parse, _maxExecutions) ? parse.GetValue(_maxExecutions) : MutantsCheck.DefaultMaxExecutions);
        try { bound.Validate(); }
        catch (ArgumentException e) { throw new UsageException($"{OptionOf(e.Message)}: {e.Message}"); }
        return (bound, cpus);
    }

    /// <summary>Runs the exhaustive mode over the chosen patchers and models; the exit code says whether every cell agrees.</summary>
    public int Execute(ParseResult parse, PluginCatalog patchers, IReadOnlyList<IFetchModel> models, FileInfo? json)
    {
        int cpus = parse.GetValue(_cpus), sites = parse.GetValue(_sites);
        bool irqsOff = parse.GetValue(_irqsOff);
        if (cpus is < 2 or > 3) throw new UsageException($"--cpus {cpus}: the exhaustive scenario has 2 or 3 CPUs");
        if (sites is < 1 or > 2) throw new UsageException($"--sites {sites}: the exhaustive scenario has 1 or 2 sites");
        var bound = new ExhaustiveBound(Preemptions(parse), parse.GetValue(_iterations), parse.GetValue(_stepBudget), parse.GetValue(_maxExecutions))
        {
            Reduce = !parse.GetValue(_noReduction),
        };
        try { bound.Validate(); }
        catch (ArgumentException e) { throw new UsageException($"{OptionOf(e.Message)}: {e.Message}"); }
        LayoutChoice layouts;
        try { layouts = ExhaustiveLayouts.Parse(parse.GetValue(_layouts)!); }
        catch (ArgumentException e) { throw new UsageException($"--layout-classes: {e.Message}"); }

        Console.WriteLine($"Exhaustive exploration: {cpus} CPUs (the last patches), {sites} site(s){(irqsOff ? " run with IRQs off" : "")}; {bound}; " +
                          "staleness bounded by serialization only (spec/exhaustive.md)" + layouts switch
                          {
                              LayoutChoice.All => "; every layout class of each fetch model, one line offset each.",
                              LayoutChoice.EveryOffset => "; every line offset the patcher accepts.",
                              _ => ".",
                          });
        var job = new Worker.ExhaustiveJob(models.Select(m => m.Name).ToArray(), cpus, sites, irqsOff, bound.Preemptions, bound.Iterations, bound.StepBudget, bound.MaxExecutions, bound.Reduce,
            ExhaustiveLayouts.Name(layouts));
        var cells = new List<CellResult>();
        void Cell(CellResult cell)
        {
            cells.Add(cell);
            Print(cell);
        }
        foreach (var p in patchers.Patchers)
        {
            if (p.IsPlugin) Worker.ExhaustivePlugin.Run(p, job, Console.WriteLine, Cell);
            else RunPatcher(p, models, job, Console.WriteLine, Cell);
        }
        foreach (var f in patchers.Faults)
        {
            Console.WriteLine($"{f.Row}: {CellOutcome.PluginError}: {f.Message}");
            foreach (var m in models) Cell(CellResult.Faulted(f.Row, m.Name, "(none: the plug-in did not load)", f.Message));
        }
        int disagree = cells.Count(c => !c.Agrees);
        int outOfReach = cells.Count(c => c.OutOfReach);
        AnsiConsole.Markup(disagree == 0 ? "[green]agreed[/] " : "[red]DISAGREED[/] ");
        Console.WriteLine(disagree == 0
            ? $"All {cells.Count - outOfReach} cells within the scenario's reach agree with their expectations (undecided ones: the suite decides){(outOfReach > 0 ? $"; {outOfReach} expected failure(s) out of its reach" : "")}."
            : $"{disagree} of {cells.Count} cells disagree with their expectations.");
        // Its path was checked before the exploration (CheckCommand).
        if (json is not null) WriteJson(json, cpus, sites, irqsOff, bound, job.Layouts, cells, Names(parse, "--patcher"), Names(parse, "--model"), patchers);
        return disagree == 0 ? Cli.Ok : Cli.Failed;
    }

    /// <summary>
    /// One patcher's part of the exhaustive mode, in this process: its scenario (<paramref name="header"/>
    /// hears the line that names it) and its cell under each model (<paramref name="cell"/> hears each as it is done).
    /// A plug-in's part runs in a worker process, which calls this.
    /// </summary>
    public static void RunPatcher(PatcherInfo p, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job, Action<string> header, Action<CellResult> cell)
    {
        var bound = new ExhaustiveBound(job.Preemptions, job.Iterations, job.StepBudget, job.MaxExecutions) { Reduce = job.Reduce };
        var scenario = ExhaustiveScenario.For(p.Create(), job.Cpus, job.Sites, out string? declined, job.IrqsOff);
        header(scenario is null ? $"{p.Name}: no scenario: {declined}" : $"{p.Name}: {scenario}");
        if (scenario is null) return;
        var choice = ExhaustiveLayouts.Parse(job.Layouts);
        foreach (var m in models)
        {
            var clock = Stopwatch.StartNew();
            ExhaustiveResult result;
            IReadOnlyList<LayoutResult>? layouts = null;
            var explored = scenario;
            try
            {
                if (choice == LayoutChoice.Preferred) result = ExhaustiveExplorer.Explore(p.Create, m, scenario.Case, bound);
                else
                {
                    layouts = ExhaustiveLayouts.Explore(p.Create, m, scenario, ExhaustiveLayouts.For(p.Create(), scenario, m, choice), bound, out result);
                    explored = layouts.LastOrDefault(l => l.Result.Counterexample is not null)?.Scenario ?? scenario;
                }
            }
            catch (ExhaustiveAssumptionException e)
            {
                cell(CellResult.Of(new Cell(p, m, scenario, null, e.Message), clock.Elapsed));
                continue;
            }
            cell(CellResult.Of(new Cell(p, m, explored, result, null) { Layouts = layouts }, clock.Elapsed));
        }
    }

    /// <summary>The option a bound's validation message is about.</summary>
    private static string OptionOf(string message) => message.Split(' ')[0] switch
    {
        "Preemptions" => "--preemptions",
        "Iterations" => "--iterations",
        "StepBudget" => "--step-budget",
        _ => "--max-executions",
    };

    /// <summary>One patcher under one model: the scenario, what the exploration found, and how it compares with history.</summary>
    public sealed record Cell(PatcherInfo Patcher, IFetchModel Model, ExhaustiveScenario Scenario, ExhaustiveResult? Result, string? Error)
    {
        /// <summary>With <c>--layout-classes all</c> or <c>every-offset</c>: each layout explored, in order (the last holds the counterexample, if any).</summary>
        public IReadOnlyList<LayoutResult>? Layouts { get; init; }

        /// <summary>", over 5 layout classes (one-unit @0, split@2 @62, ...)", or nothing for the preferred layout alone.</summary>
        public string LayoutNote => Layouts is not { } ls ? ""
            : ls.Count <= 12 ? $" over {ls.Count} layout(s): {string.Join(", ", ls.Select(l => l.Layout.ToString()))}"
            : $" over {ls.Count} layout(s) in {ls.Select(l => l.Layout.Name).Distinct().Count()} class(es): " +
              string.Join(", ", ls.GroupBy(l => l.Layout.Name).Select(g => $"{g.Key} x{g.Count()}"));

        public (ExpectedVerdict Verdict, FailureKind? Failure) Expected => Scenario.Expectation(Patcher.Expectations, Model.Name);

        /// <summary>An expected failure not found because the scenario cannot show it: reported, not counted.</summary>
        public string? OutOfReach =>
            Result?.Outcome != ExhaustiveOutcome.Counterexample && Expected is { Verdict: ExpectedVerdict.Fail, Failure: { } f } ? Scenario.OutOfReach(f) : null;

        public bool Agrees => Result is { } r && (OutOfReach is not null || (r.Outcome, Expected.Verdict) switch
        {
            (ExhaustiveOutcome.Verified, ExpectedVerdict.Pass or ExpectedVerdict.Undecided) => true,
            (ExhaustiveOutcome.Counterexample, ExpectedVerdict.Fail or ExpectedVerdict.Undecided) => true,
            _ => false,
        });

        public string ExpectedText => Expected switch
        {
            (ExpectedVerdict.Fail, { } f) => $"expected fail: {f}",
            (var v, _) => $"expected {v.ToString().ToLowerInvariant()}",
        };

        public string? Token => Result?.Counterexample is { } cx
            ? new ExhaustiveToken(Patcher.Name, Model.Name, Scenario.Cpus, Scenario.SiteCount, Scenario.InterruptsOff, cx.Case.Schedule)
            {
                Plugin = Patcher.Plugin,
                Offsets = Scenario.Layout is null ? null : Scenario.Offsets,
            }.ToString()
            : null;
    }

    /// <summary>
    /// One cell as it is printed and written to the JSON (and passed back from a worker): the
    /// coloured verdict and the lines under it, whether it agrees, and its JSON object.
    /// </summary>
    public sealed record CellResult(string? Color, string Word, IReadOnlyList<string> Lines, bool Agrees, bool OutOfReach, JsonElement Json)
    {
        public static CellResult Of(Cell c, TimeSpan elapsed)
        {
            var json = JsonSerializer.SerializeToElement(JsonOf(c), JsonOptions.Indented);
            if (c.Result is not { } r)
                return new CellResult("red", "ERROR", [$"{c.Patcher.Name} / {c.Model.Name}: cannot be explored: {c.Error}"], false, false, json);
            // A short coloured verdict, then plain text (Spectre would wrap long lines at the console width).
            var (color, word) = c.OutOfReach is not null ? ("yellow", "out of reach")
                : c.Expected.Verdict == ExpectedVerdict.Undecided ? ("yellow", "undecided")
                : c.Agrees ? ("green", "agrees") : ("red", "DISAGREES");
            string note = c.OutOfReach is { } why ? $"{c.ExpectedText}: {why}" : c.ExpectedText;
            var lines = new List<string> { $"{c.Patcher.Name} / {c.Model.Name}: {r.Summary}{c.LayoutNote} ({note}; {elapsed.TotalSeconds:F1} s)" };
            if (r.Counterexample is { } cx)
            {
                if (c.Scenario.Layout is { } layout) lines.Add($"      layout: {layout} (line offsets {string.Join(",", c.Scenario.Offsets)})");
                lines.Add($"      schedule: {cx.Case.Schedule}");
                lines.Add($"      {TokenLines.Replay(c.Token!)}");
            }
            return new CellResult(color, word, lines, c.Agrees, c.OutOfReach is not null, json);
        }

        /// <summary>A cell a plug-in fault kept from a result.</summary>
        public static CellResult Faulted(string patcher, string model, string scenario, string message) =>
            new("red", "ERROR", [$"{patcher} / {model}: {CellOutcome.PluginError}: {message}"], false, false,
                JsonSerializer.SerializeToElement(new
                {
                    patcher, model, scenario, outcome = "error", expected = (string?)null, expectedFailure = (string?)null, agrees = false, outOfReach = (string?)null,
                    error = $"{CellOutcome.PluginError}: {message}", executions = (long?)null, executionsByPreemptions = (object?)null, budgetHits = (long?)null,
                    summary = (string?)null, property = (string?)null, violation = (string?)null, counterexamplePreemptions = (int?)null,
                    counterexampleSteps = (long?)null, schedule = (string?)null, replay = (string?)null,
                }, JsonOptions.Indented));
    }

    private static void Print(CellResult c)
    {
        if (c.Color is { } color) AnsiConsole.Markup($"  [{color}]{c.Word}[/] ");
        foreach (var line in c.Lines) Console.WriteLine(line);
    }

    private static object JsonOf(Cell c) => new
    {
        patcher = c.Patcher.Name,
        model = c.Model.Name,
        scenario = c.Scenario.ToString(),
        outcome = c.Result?.Outcome.ToString().ToLowerInvariant() ?? "error",
        expected = c.Expected.Verdict.ToString().ToLowerInvariant(),
        expectedFailure = c.Expected.Failure?.ToString(),
        agrees = c.Agrees,
        outOfReach = c.OutOfReach,
        error = c.Error,
        executions = c.Result?.Executions,
        executionsByPreemptions = c.Result?.ByPreemptions,
        budgetHits = c.Result?.BudgetHits,
        summary = c.Result?.Summary,
        property = c.Result?.Counterexample?.Result.First?.Property,
        violation = c.Result?.Counterexample?.Result.First?.Message,
        counterexamplePreemptions = c.Result?.Counterexample?.Preemptions,
        counterexampleSteps = c.Result?.Counterexample?.Steps,
        schedule = c.Result?.Counterexample?.Case.Schedule.ToString(),
        replay = c.Token,
        layouts = c.Layouts?.Select(l => new
        {
            name = l.Layout.Name, offsets = l.Layout.Offsets, outcome = l.Result.Outcome.ToString().ToLowerInvariant(), executions = l.Result.Executions,
        }),
    };

    /// <summary>A repeatable option's values as given (empty: not given).</summary>
    private static string[] Names(ParseResult parse, string option) =>
        parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>().Where(o => o.Option.Name == option)
            .SelectMany(o => o.Tokens.Select(t => t.Value)).ToArray();

    private static void WriteJson(FileInfo file, int cpus, int sites, bool irqsOff, ExhaustiveBound bound, string layouts, List<CellResult> cells,
        string[] patcherNames, string[] modelNames, PluginCatalog catalog)
    {
        string Outcome(CellResult c) => c.Json.GetProperty("outcome").GetString()!;
        int disagreeing = cells.Count(c => !c.Agrees);
        var data = new
        {
            // The header every report has (spec/reports.md): the format of this shape, the tool, the options as parsed.
            format = ReportHeader.ExhaustiveFormat,
            report = "exhaustive",
            tool = new { name = ToolReport.This.Name, version = ToolReport.This.Version },
            options = new { patchers = patcherNames, models = modelNames, plugins = catalog.Patchers.Where(p => p.IsPlugin).Select(p => p.Name).ToArray() },
            summary = new
            {
                cells = cells.Count,
                agreeing = cells.Count(c => c.Agrees && !c.OutOfReach),
                disagreeing,
                outOfReach = cells.Count(c => c.OutOfReach),
                verified = cells.Count(c => Outcome(c) == "verified"),
                counterexamples = cells.Count(c => Outcome(c) == "counterexample"),
                errors = cells.Count(c => Outcome(c) == "error"),
                exitCode = disagreeing == 0 ? Cli.Ok : Cli.Failed,
            },
            exhaustive = new
            {
                cpus, sites, irqsOff, preemptions = bound.IsUnbounded ? (object)"unbounded" : bound.Preemptions, iterations = bound.Iterations, stepBudget = bound.StepBudget,
                maxExecutions = bound.MaxExecutions, reduction = bound.Reduce, layoutClasses = layouts,
            },
            results = cells.Select(c => c.Json),
        };
        OutputPath.Write("--json", file, JsonSerializer.Serialize(data, JsonOptions.Indented) + "\n");
    }
}
