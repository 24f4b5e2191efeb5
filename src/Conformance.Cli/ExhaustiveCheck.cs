using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Conformance.Checking.Exhaustive;
using Conformance.Generators.Campaigns;
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
    private readonly Option<bool> _irqsOff = new("--irqs-off") { Description = "With --exhaustive: only the scenario whose sites run inside an IRQs-off region (cli ... sti); the same as --irqs off." };
    private readonly Option<string> _irqs = new("--irqs")
    {
        Description = "With --exhaustive: how the sites run: on (IRQs on), off (each inside cli ... sti), both (the scenario once each way), spinlock (each under a spinlock taken with IRQs off) or all (on, off, spinlock).",
        DefaultValueFactory = _ => "both",
    };
    private readonly Option<int> _interrupts = new("--interrupts")
    {
        Description = $"With --exhaustive: the most interrupts delivered per execution as explored choices, 0 to {ExhaustiveBound.MaxInterrupts} (a preempting timer on a reader CPU, which then has a second task; an NMI in an STI shadow where an NMI may end it).",
        DefaultValueFactory = _ => DefaultInterrupts,
    };
    private readonly Option<int> _patches = new("--patches")
    {
        Description = "With --exhaustive: consecutive patches, 1 or 2 (the second patches every site back).",
        DefaultValueFactory = _ => DefaultPatches,
    };

    /// <summary>The default interrupt bound and patch count: the smallest that reach every known-bad row of the catalog (spec/exhaustive.md).</summary>
    public const int DefaultInterrupts = 1, DefaultPatches = 2;
    private readonly Option<bool> _noReduction = new("--no-reduction") { Description = "With --exhaustive: a scheduling point after every step (to audit the reduction; many more executions)." };

    private readonly Option<string> _layouts = new("--layout-classes")
    {
        Description = "With --exhaustive: which layouts of the sites to explore: preferred (site 0 at line offset 62, site 1 at 30), all (one line offset per layout class of each fetch model, spec/exhaustive.md) or every-offset (every offset the patcher accepts).",
        DefaultValueFactory = _ => "preferred",
    };

    private readonly Option<string> _transitions = new("--transitions")
    {
        Description = "With --exhaustive: which changes the sites make: retarget (the first site kind the patcher accepts, retargeted to a far target, else its first accepted change) or all (every site kind and transition the patcher accepts, one row each).",
        DefaultValueFactory = _ => "retarget",
    };
    private readonly Option<string> _abi = new("--abi")
    {
        Description = "With --exhaustive: the callers' ABI at the sites: c, callee-saved (paravirt: only RAX may change) or both (one row each).",
        DefaultValueFactory = _ => "c",
    };

    private readonly Option<string> _writerRunsSites = new("--writer-runs-sites")
    {
        Description = "With --exhaustive: whether the patching CPU runs the sites too: off (it only patches), on (its patching thread shares it with tasks, switched by preempting timers, explored choices counted by --interrupts; then --cpus 1 is a scenario) or both (the scenario once each way).",
        DefaultValueFactory = _ => "off",
    };

    private Option<bool>[] Flags => [_irqsOff, _noReduction];
    private Option[] Choices => [_layouts, _irqs, _transitions, _abi, _writerRunsSites];
    private Option[] Numbers => [_preemptions, _cpus, _sites, _iterations, _stepBudget, _maxExecutions, _interrupts, _patches];

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
        foreach (var o in Choices) check.Options.Add(o);
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
        foreach (var o in Numbers.Concat(Flags).Concat(Choices))
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
        foreach (var o in new Option[] { _exhaustive, _sites, _irqsOff, _irqs, _noReduction, _layouts, _interrupts, _patches, _transitions, _abi, _writerRunsSites })
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
    public int Execute(ParseResult parse, PluginCatalog patchers, IReadOnlyList<IFetchModel> models, FileInfo? json, int threads = 1, FileInfo? junit = null, Shard? shard = null)
    {
        shard ??= Shard.All;
        int cpus = parse.GetValue(_cpus), sites = parse.GetValue(_sites), patches = parse.GetValue(_patches);
        string writerRunsSites = parse.GetValue(_writerRunsSites)!;
        if (writerRunsSites is not ("on" or "off" or "both")) throw new UsageException($"--writer-runs-sites {writerRunsSites}: on, off or both");
        if (cpus == 1 && writerRunsSites != "on") throw new UsageException("--cpus 1: a 1-CPU scenario needs --writer-runs-sites on (the patching CPU is the only one that runs the sites)");
        if (cpus is < 1 or > 3) throw new UsageException($"--cpus {cpus}: the exhaustive scenario has 2 or 3 CPUs (1 with --writer-runs-sites on)");
        if (sites is < 1 or > 2) throw new UsageException($"--sites {sites}: the exhaustive scenario has 1 or 2 sites");
        if (patches is < 1 or > ExhaustiveScenario.MaxPatches) throw new UsageException($"--patches {patches}: the exhaustive scenario has 1 or 2 consecutive patches");
        string irqs = Irqs(parse);
        string transitions = parse.GetValue(_transitions)!, abi = parse.GetValue(_abi)!;
        if (transitions is not ("retarget" or "all")) throw new UsageException($"--transitions {transitions}: retarget or all");
        if (abi is not ("c" or "callee-saved" or "both")) throw new UsageException($"--abi {abi}: c, callee-saved or both");
        var bound = new ExhaustiveBound(Preemptions(parse), parse.GetValue(_iterations), parse.GetValue(_stepBudget), parse.GetValue(_maxExecutions))
        {
            Reduce = !parse.GetValue(_noReduction),
            Interrupts = parse.GetValue(_interrupts),
        };
        try { bound.Validate(); }
        catch (ArgumentException e) { throw new UsageException($"{OptionOf(e.Message)}: {e.Message}"); }
        LayoutChoice layouts;
        try { layouts = ExhaustiveLayouts.Parse(parse.GetValue(_layouts)!); }
        catch (ArgumentException e) { throw new UsageException($"--layout-classes: {e.Message}"); }

        Console.WriteLine($"Exhaustive exploration: {cpus} CPUs (the last patches), {sites} site(s), {patches} consecutive patch(es), sites run with IRQs {IrqsText(irqs)}" +
                          $"{(bound.Interrupts > 0 ? "; 2 tasks per reader CPU" : "")}" +
                          $"{writerRunsSites switch { "on" => "; the patching CPU runs the sites too", "both" => "; the patching CPU only patching, then running the sites too", _ => "" }}" +
                          $"{(transitions == "all" ? "; every site kind and transition the patcher accepts" : "")}{abi switch { "both" => "; the C and the callee-saved ABI", "callee-saved" => "; the callee-saved ABI", _ => "" }}; {bound}; " +
                          "staleness bounded by serialization only (spec/exhaustive.md)" + layouts switch
                          {
                              LayoutChoice.All => "; every layout class of each fetch model, one line offset each.",
                              LayoutChoice.EveryOffset => "; every line offset the patcher accepts.",
                              _ => ".",
                          });
        var job = new Worker.ExhaustiveJob(models.Select(m => m.Name).ToArray(), cpus, sites, irqs, bound.Preemptions, bound.Iterations, bound.StepBudget, bound.MaxExecutions, bound.Reduce,
            ExhaustiveLayouts.Name(layouts), bound.Interrupts, patches, transitions, abi) { WriterRunsSites = writerRunsSites };
        // The work, in output order: each NMI switch's rows of a patcher (explored and judged together,
        // see RunGroup); a plug-in's part is one piece (its worker process runs it), as is a plug-in that
        // did not load. Run on `threads` threads, printed in this order as each piece and all before it
        // are done: the output is that of one thread. A piece is also the unit --shard splits.
        var all = Units(patchers, models, job);
        var units = shard.Of(all);
        // A run with fewer pieces than threads (one patcher, say) explores a piece's models on the threads left over.
        int modelThreads = units.Count < threads ? threads / Math.Max(1, units.Count) : 1;
        if (!shard.IsAll)
            Console.WriteLine($"Shard {shard}: {units.Count} of the run's {all.Count} patcher rows ({string.Join(", ", units.Select(u => u.Name))}); merge joins the shards' --json.");
        var cells = new List<CellResult>();
        var cellsPerUnit = new List<int>();
        InOrder.Run(units.Select(u => (Func<IReadOnlyList<Output>>)(() => u.Run(modelThreads))).ToArray(), threads, output =>
        {
            int before = cells.Count;
            foreach (var o in output)
            {
                if (o.Line is { } line) Console.WriteLine(line);
                if (o.Cell is { } cell) { cells.Add(cell); Print(cell); }
            }
            cellsPerUnit.Add(cells.Count - before);
        });
        int disagree = cells.Count(c => !c.Agrees);
        int outOfReach = cells.Count(c => c.OutOfReach);
        PrintLastLine(cells.Count, disagree, outOfReach);
        // Their paths were checked before the exploration (CheckCommand). The JUnit XML is read from the JSON document: they cannot disagree.
        if (json is not null || junit is not null)
        {
            var document = Document(job, bound, cells, Names(parse, "--patcher"), Names(parse, "--model"), patchers,
                shard.IsAll ? null : new ExhaustiveShard(shard.Index, shard.Count, all.Count, all.Select(u => u.Name).ToArray(), cellsPerUnit.ToArray()));
            if (json is not null) OutputPath.Write("--json", json, JsonSerializer.Serialize(document, JsonOptions.Indented) + "\n");
            if (junit is not null) OutputPath.Write("--junit", junit, ExhaustiveJunit.Xml(JsonSerializer.SerializeToElement(document, JsonOptions.Indented)));
        }
        return disagree == 0 ? Cli.Ok : Cli.Failed;
    }

    /// <summary>
    /// The run's work in output order, each unit named: a catalog patcher's NMI switch row
    /// (<see cref="Groups"/>, named as the row: <c>PATCHER</c> or <c>PATCHER +NMI</c>), a plug-in's
    /// whole part (its worker runs it), a plug-in that did not load. <c>--shard I/N</c> takes every
    /// Nth unit; <c>merge</c> interleaves the shards' units back (<see cref="ExhaustiveMerge"/>).
    /// </summary>
    private static IReadOnlyList<Unit> Units(PluginCatalog patchers, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job)
    {
        var units = new List<Unit>();
        foreach (var p in patchers.Patchers)
        {
            if (p.IsPlugin)
            {
                units.Add(new Unit(p.Name, _ =>
                {
                    var o = new List<Output>();
                    Worker.ExhaustivePlugin.Run(p, job, line => o.Add(new Output(line, null)), cell => o.Add(new Output(null, cell)));
                    return o;
                }));
                continue;
            }
            var rows = NmiRows(p.Expectations);
            units.AddRange(NmiRows(p.Expectations).Select((nmi, i) => new Unit(RowName(p.Name, rows[i]), modelThreads => Group(p, models, job, nmi, modelThreads))));
        }
        foreach (var f in patchers.Faults)
            units.Add(new Unit(f.Row, _ =>
                [new Output($"{f.Row}: {CellOutcome.PluginError}: {f.Message}", null),
                 .. models.Select(m => new Output(null, CellResult.Faulted(f.Row, m.Name, "(none: the plug-in did not load)", f.Message)))]));
        return units;
    }

    /// <summary>The run's last line, with its mark word (also <c>merge</c>'s of exhaustive shards).</summary>
    public static void PrintLastLine(int cells, int disagree, int outOfReach)
    {
        AnsiConsole.Markup(disagree == 0 ? "[green]agreed[/] " : "[red]DISAGREED[/] ");
        Console.WriteLine(disagree == 0
            ? $"All {cells - outOfReach} cells within the scenario's reach agree with their expectations (undecided ones: the suite decides){(outOfReach > 0 ? $"; {outOfReach} expected failure(s) out of its reach" : "")}."
            : $"{disagree} of {cells} cells disagree with their expectations.");
    }

    /// <summary>One unit of the run's work: its name (what a shard lists) and the work.</summary>
    private sealed record Unit(string Name, Func<int, IReadOnlyList<Output>> Run);

    /// <summary>A piece of the output: a line, or a cell.</summary>
    public sealed record Output(string? Line, CellResult? Cell);

    /// <summary>The IRQs choice: <c>--irqs</c>, or <c>--irqs-off</c> (the same as <c>--irqs off</c>; with another <c>--irqs</c>, a usage error).</summary>
    private string Irqs(ParseResult parse)
    {
        string irqs = parse.GetValue(_irqs)!;
        if (irqs is not ("on" or "off" or "both" or "spinlock" or "all")) throw new UsageException($"--irqs {irqs}: on, off, both, spinlock or all");
        if (!parse.GetValue(_irqsOff)) return irqs;
        if (Given(parse, _irqs) && irqs != "off") throw new UsageException($"--irqs-off contradicts --irqs {irqs} (--irqs-off is --irqs off)");
        return "off";
    }

    private static string IrqsText(string irqs) => irqs switch
    {
        "both" => "on, then off (cli ... sti)", "off" => "off (cli ... sti)", "spinlock" => "off under a spinlock",
        "all" => "on, then off (cli ... sti), then off under a spinlock", _ => "on",
    };

    /// <summary>Whether sites run with IRQs off, and under a spinlock, per scenario a cell explores, in order.</summary>
    private static (bool Off, bool Spinlock)[] IrqVariants(string irqs) => irqs switch
    {
        "both" => [(false, false), (true, false)], "off" => [(true, false)], "spinlock" => [(true, true)],
        "all" => [(false, false), (true, false), (true, true)], _ => [(false, false)],
    };

    /// <summary>The ABIs <c>--abi</c> names.</summary>
    private static Abi[] Abis(string abi) => abi switch { "both" => [Abi.C, Abi.CalleeSaved], "callee-saved" => [Abi.CalleeSaved], _ => [Abi.C] };

    /// <summary>
    /// The rows of one patcher and NMI switch (<c>--transitions</c>, <c>--abi</c>): per ABI the default
    /// change, or every site kind and transition the patcher accepts (<see cref="ExhaustiveScenario.Variants"/>).
    /// </summary>
    public static IReadOnlyList<SiteVariant> VariantsFor(IPatcher patcher, Worker.ExhaustiveJob job, int tasks, bool nmi) =>
        job.Transitions == "all"
            ? ExhaustiveScenario.Variants(patcher, job.Cpus, job.Sites, Abis(job.Abi), tasks: tasks, patches: job.Patches, nmiMayEndStiShadow: nmi)
            : Abis(job.Abi).Select(a => new SiteVariant(null, null, a)).ToArray();

    /// <summary>
    /// The rows of a patcher: the NMI switch off, and on too when its expectations name the switch
    /// (as the verdict matrix has them).
    /// </summary>
    public static bool[] NmiRows(IReadOnlyList<Expectation> expectations) =>
        expectations.Any(e => e.NmiMayEndStiShadow is not null) ? [false, true] : [false];

    /// <summary>A row's name: the patcher, with the matrix's NMI suffix when an NMI may end the STI shadow.</summary>
    public static string RowName(string patcher, bool nmi) => nmi ? patcher + VerdictTable.NmiSuffix : patcher;

    /// <summary>
    /// One patcher's part of the exhaustive mode, in this process: per row (the NMI switch off, and on
    /// where its expectations name it) the scenarios it explores (<paramref name="header"/> hears the
    /// line that names them) and its cell under each model (<paramref name="cell"/> hears each as it is
    /// done). A cell explores the scenarios in order (sites with IRQs on, then off) and stops at the
    /// first counterexample. A plug-in's part runs in a worker process, which calls this.
    /// </summary>
    public static void RunPatcher(PatcherInfo p, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job, Action<string> header, Action<CellResult> cell)
    {
        foreach (var group in Groups(p, models, job))
            foreach (var o in group())
                if (o.Line is { } line) header(line);
                else cell(o.Cell!);
    }

    /// <summary>
    /// A patcher's work, one piece per NMI switch (off, and on where its expectations name it): each
    /// piece explores and judges that switch's rows under every model. A piece depends only on the
    /// patcher, the job and the models, so pieces may run on any thread in any order.
    /// </summary>
    public static IEnumerable<Func<IReadOnlyList<Output>>> Groups(PatcherInfo p, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job)
    {
        foreach (bool nmi in NmiRows(p.Expectations))
            yield return () => Group(p, models, job, nmi, modelThreads: 1);
    }

    /// <summary>One NMI switch's piece of a patcher's work (<see cref="Groups"/>), its models' cells explored on <paramref name="modelThreads"/> threads.</summary>
    private static IReadOnlyList<Output> Group(PatcherInfo p, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job, bool nmi, int modelThreads) =>
        RunGroup(p, models, job, new ExhaustiveBound(job.Preemptions, job.Iterations, job.StepBudget, job.MaxExecutions) { Reduce = job.Reduce, Interrupts = job.Interrupts },
            ExhaustiveLayouts.Parse(job.Layouts), nmi, modelThreads);

    /// <summary>
    /// One NMI switch's rows (one per site variant), judged together, then given in order: an
    /// expected failure must be shown by some row of the patcher under the model (as a matrix cell's,
    /// by some case), while a row of another kind or transition may be unable to show it.
    /// </summary>
    private static IReadOnlyList<Output> RunGroup(PatcherInfo p, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job, ExhaustiveBound bound, LayoutChoice choice, bool nmi,
        int modelThreads)
    {
        var lines = new List<(string? Header, Cell? Cell, TimeSpan Elapsed)>();
        RunRows(p, models, job, bound, choice, nmi, modelThreads, h => lines.Add((h, null, default)), (c, t) => lines.Add((null, c, t)));
        var cells = lines.Where(l => l.Cell is not null).Select(l => l.Cell!).ToArray();
        var output = new List<Output>();
        foreach (var (h, c, elapsed) in lines)
        {
            if (h is not null) { output.Add(new Output(h, null)); continue; }
            var shownBy = c!.Result is { Outcome: not ExhaustiveOutcome.Counterexample } && c.Expected.Verdict == ExpectedVerdict.Fail && c.Scenario.Variant.Kind is not null
                ? cells.FirstOrDefault(o => o.Model.Name == c.Model.Name && o.Result?.Outcome == ExhaustiveOutcome.Counterexample && o.Expected.Verdict == ExpectedVerdict.Fail)?.Row
                : null;
            output.Add(new Output(null, CellResult.Of(c with { ShownBy = shownBy }, elapsed)));
        }
        return output;
    }

    private static void RunRows(PatcherInfo p, IReadOnlyList<IFetchModel> models, Worker.ExhaustiveJob job, ExhaustiveBound bound, LayoutChoice choice, bool nmi,
        int modelThreads, Action<string> header, Action<Cell, TimeSpan> cell)
    {
        foreach (var variant in VariantsFor(p.Create(), job, BoundFor(bound, false, nmi, job.Irqs).Interrupts > 0 ? 2 : 1, nmi) is { Count: > 0 } vs ? vs : [SiteVariant.Default])
        {
            var scenarios = new List<ExhaustiveScenario>();
            string? declined = null;
            // A patcher that declines every second patch (kprobe-optimized only patches from a NOP) gets one:
            // without it the row had no scenario and no cell at all.
            ExhaustiveScenario? Make(bool off, bool spinlock, int patches, bool writer) =>
                ExhaustiveScenario.For(p.Create(), job.Cpus, job.Sites, out declined, off, tasks: BoundFor(bound, off, nmi, job.Irqs, writer).Interrupts > 0 ? 2 : 1,
                    patches: patches, nmiMayEndStiShadow: nmi, variant: variant, spinlock: spinlock, writerRunsSites: writer);
            var wanted = (from irq in IrqVariants(job.Irqs) from writer in WriterVariants(job.WriterRunsSites) select (irq.Off, irq.Spinlock, writer)).ToArray();
            foreach (var (off, spinlock, writer) in wanted)
                if ((Make(off, spinlock, job.Patches, writer) ?? (job.Patches > 1 ? Make(off, spinlock, 1, writer) : null)) is { } s)
                    scenarios.Add(s);
                else break;
            string row = RowName(p.Name, nmi) + variant.Label;
            if (scenarios.Count < wanted.Length)
            {
                header($"{row}: no scenario: {declined}");
                continue;
            }
            header($"{row}: {scenarios[0]}{(scenarios[0].Patches < job.Patches ? " (one patch: it declines every second patch)" : "")}{string.Concat(scenarios.Skip(1).Select((s, i) => Then(scenarios[i], s)))}");
            // A model's cell depends only on the patcher, the model and the scenarios (rigs are per thread),
            // so the cells may be explored on several threads and are handed on in the models' order.
            var explored = CampaignParallel.Map(models, modelThreads, m =>
            {
                var clock = Stopwatch.StartNew();
                return (Cell: ExploreCell(p, m, scenarios, choice, bound, nmi, job.Irqs), clock.Elapsed);
            });
            foreach (var (c, elapsed) in explored) cell(c, elapsed);
        }
    }

    /// <summary>Whether the patching CPU runs the sites, per scenario a cell explores (<c>--writer-runs-sites</c>), in order.</summary>
    private static bool[] WriterVariants(string writerRunsSites) => writerRunsSites switch { "on" => [true], "both" => [false, true], _ => [false] };

    /// <summary>How a row's next scenario differs from the one before it, for the row's header.</summary>
    private static string Then(ExhaustiveScenario previous, ExhaustiveScenario s)
    {
        string writer = s.WriterRunsSites ? ", the patching CPU running the sites too" : previous.WriterRunsSites ? ", the patching CPU only patching" : "";
        if (s.InterruptsOff == previous.InterruptsOff && s.Spinlock == previous.Spinlock)
            return s.WriterRunsSites ? "; then the same with the patching CPU running the sites too" : "; then the same with the patching CPU only patching";
        return (s.Spinlock ? "; then the same under a spinlock taken with IRQs off" : s.InterruptsOff ? "; then the same with every site run with IRQs off" : "; then the same with IRQs on") + writer;
    }

    /// <summary>
    /// One cell: its scenarios explored in order (sites with IRQs on, then off, then under a spinlock),
    /// stopping at the first counterexample; an assumption the patcher breaks is the cell's error.
    /// </summary>
    public static Cell ExploreCell(PatcherInfo p, IFetchModel m, IReadOnlyList<ExhaustiveScenario> scenarios, LayoutChoice choice, ExhaustiveBound bound, bool nmi, string irqs)
    {
        var parts = new List<ScenarioPart>();
        try
        {
            foreach (var scenario in scenarios)
            {
                var part = Explore(p, m, scenario, choice, BoundFor(bound, scenario.InterruptsOff, nmi, irqs, scenario.WriterRunsSites));
                parts.Add(part);
                if (part.Result.Outcome == ExhaustiveOutcome.Counterexample) break;
            }
        }
        catch (ExhaustiveAssumptionException e)
        {
            return new Cell(p, m, scenarios[parts.Count], null, e.Message) { Explored = scenarios };
        }
        var result = ExhaustiveLayouts.Combine(bound, parts.Select(x => x.Result).ToArray());
        var shown = parts.FirstOrDefault(x => x.Result.Counterexample is not null) ?? parts[0];
        return new Cell(p, m, shown.Explored, result, null) { Layouts = shown.Layouts, Parts = parts, Explored = scenarios };
    }

    /// <summary>
    /// The bound one scenario of a cell is explored within (spec/exhaustive.md, "Interrupts"): with
    /// <c>--irqs both</c> the IRQs-off scenario is explored without interrupt deliveries (it is there
    /// for what IF=0 at a site does to the sync IPI; its costs would triple the run), and an NMI row
    /// gets at least 2 (the NMI and the interrupt it lets in before the instruction the shadow covered).
    /// Where the patching CPU runs the sites the IRQs-off scenario keeps its interrupts: without a timer
    /// its patching thread runs its patch in one go, and a task spinning with IRQs off on the int3 of its
    /// own CPU's preempted thread (a self-deadlock) is found only there.
    /// </summary>
    public static ExhaustiveBound BoundFor(ExhaustiveBound bound, bool irqsOff, bool nmi, string irqs, bool writerRunsSites = false) =>
        irqsOff && irqs is "both" or "all" && !writerRunsSites ? bound with { Interrupts = 0 }
        : nmi && bound.Interrupts > 0 ? bound with { Interrupts = Math.Max(2, bound.Interrupts) }
        : bound;

    /// <summary>One scenario of a cell explored: its preferred layout, or every layout <paramref name="choice"/> asks for.</summary>
    private static ScenarioPart Explore(PatcherInfo p, IFetchModel m, ExhaustiveScenario scenario, LayoutChoice choice, ExhaustiveBound bound)
    {
        if (choice == LayoutChoice.Preferred) return new ScenarioPart(scenario, scenario, scenario.Explore(p.Create, m, bound), null);
        var layouts = ExhaustiveLayouts.Explore(p.Create, m, scenario, ExhaustiveLayouts.For(p.Create(), scenario, m, choice), bound, out var result);
        var explored = layouts.LastOrDefault(l => l.Result.Counterexample is not null)?.Scenario ?? scenario;
        return new ScenarioPart(scenario, explored, result, layouts);
    }

    /// <summary>One scenario a cell explored (<see cref="Basis"/>), the one its counterexample is of (a layout of it, or itself), its result and, by layout, its layouts.</summary>
    public sealed record ScenarioPart(ExhaustiveScenario Basis, ExhaustiveScenario Explored, ExhaustiveResult Result, IReadOnlyList<LayoutResult>? Layouts);

    /// <summary>The option a bound's validation message is about.</summary>
    private static string OptionOf(string message) => message.Split(' ')[0] switch
    {
        "Preemptions" => "--preemptions",
        "Iterations" => "--iterations",
        "StepBudget" => "--step-budget",
        "Interrupts" => "--interrupts",
        _ => "--max-executions",
    };

    /// <summary>One patcher under one model: the scenario, what the exploration found, and how it compares with history.</summary>
    public sealed record Cell(PatcherInfo Patcher, IFetchModel Model, ExhaustiveScenario Scenario, ExhaustiveResult? Result, string? Error)
    {
        /// <summary>With <c>--layout-classes all</c> or <c>every-offset</c>: each layout explored, in order (the last holds the counterexample, if any).</summary>
        public IReadOnlyList<LayoutResult>? Layouts { get; init; }

        /// <summary>Each scenario the cell explored, in order (sites with IRQs on, then off), with its result; the last holds the counterexample, if any.</summary>
        public IReadOnlyList<ScenarioPart>? Parts { get; init; }

        /// <summary>
        /// With <c>--transitions all</c>: another row of the patcher under the same model that shows the
        /// failure this row is expected to show and does not (its site kind or transition cannot: the
        /// expectations speak of models and transitions, not kinds; a 2-byte site inside one fetch unit
        /// does not tear). The failure is then found for the patcher, and this row is not counted.
        /// </summary>
        public string? ShownBy { get; init; }

        /// <summary>Every scenario the cell was to explore (what its reach is judged by).</summary>
        public IReadOnlyList<ExhaustiveScenario> Explored { get; init; } = [];

        /// <summary>The row: the patcher, with the NMI suffix when an NMI may end the STI shadow.</summary>
        public string Row => RowName(Patcher.Name, Scenario.NmiMayEndStiShadow) + Scenario.Variant.Label;

        /// <summary>", over 2 scenarios: IRQs on (N), IRQs off (M)", or nothing for one.</summary>
        public string PartNote => Parts is not { Count: > 1 } ps ? ""
            : $" over {ps.Count} scenarios: {string.Join(", ", ps.Select(x => $"{(x.Basis.Spinlock ? "spinlock" : x.Basis.InterruptsOff ? "IRQs off" : "IRQs on")}{(x.Basis.WriterRunsSites ? ", patching CPU runs sites" : "")} ({x.Result.Executions:N0})"))}";

        /// <summary>", over 5 layout classes (one-unit @0, split@2 @62, ...)", or nothing for the preferred layout alone.</summary>
        public string LayoutNote => Layouts is not { } ls ? ""
            : ls.Count <= 12 ? $" over {ls.Count} layout(s): {string.Join(", ", ls.Select(l => l.Layout.ToString()))}"
            : $" over {ls.Count} layout(s) in {ls.Select(l => l.Layout.Name).Distinct().Count()} class(es): " +
              string.Join(", ", ls.GroupBy(l => l.Layout.Name).Select(g => $"{g.Key} x{g.Count()}"));

        public (ExpectedVerdict Verdict, FailureKind? Failure) Expected => Scenario.Expectation(Patcher.Expectations, Model.Name);

        /// <summary>An expected failure not found because no scenario the cell explores can show it: reported, not counted.</summary>
        public string? OutOfReach =>
            Result is { Outcome: not ExhaustiveOutcome.Counterexample } r && Expected is { Verdict: ExpectedVerdict.Fail, Failure: { } f }
                ? (Explored.Count == 0 ? [Scenario] : Explored).Select(s => s.OutOfReach(f, r.Bound)).Aggregate((a, b) => a is null || b is null ? null : a)
                  ?? (ShownBy is not { } by ? null
                      : Scenario.FailsOnlyInSecondPatch(Patcher.Expectations, Model.Name, f) is { } t
                      ? $"the failure is of the second patch's {t}, which needs more preemptions here than as a first patch (the reader must keep a loop iteration through the first); {by} shows it"
                      : $"this site kind and transition do not show it within the bound; {by} does")
                : null;

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
                Tasks = Scenario.TasksPerCpu,
                Patches = Scenario.Patches,
                NmiMayEndStiShadow = Scenario.NmiMayEndStiShadow,
                Variant = Scenario.Variant,
                Spinlock = Scenario.Spinlock,
                WriterRunsSites = Scenario.WriterRunsSites,
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
                return new CellResult("red", "ERROR", [$"{c.Row} / {c.Model.Name}: cannot be explored: {c.Error}"], false, false, json);
            // A short coloured verdict, then plain text (Spectre would wrap long lines at the console width).
            var (color, word) = c.OutOfReach is not null ? ("yellow", "out of reach")
                : c.Expected.Verdict == ExpectedVerdict.Undecided ? ("yellow", "undecided")
                : c.Agrees ? ("green", "agrees") : ("red", "DISAGREES");
            string note = c.OutOfReach is { } why ? $"{c.ExpectedText}: {why}" : c.ExpectedText;
            var lines = new List<string> { $"{c.Row} / {c.Model.Name}: {r.Summary}{c.PartNote}{c.LayoutNote} ({note}; {elapsed.TotalSeconds:F1} s)" };
            if (r.Counterexample is { } cx)
            {
                if (c.Parts is { Count: > 1 } || c.Scenario.InterruptsOff) lines.Add($"      scenario: {c.Scenario}");
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
                    // Every field a cell has (spec/exhaustive-report.schema.json), in the same order.
                    patcher, model, nmiMayEndStiShadow = false, variant = (string?)null, scenario, outcome = "error", expected = (string?)null, expectedFailure = (string?)null, agrees = false, outOfReach = (string?)null,
                    error = $"{CellOutcome.PluginError}: {message}", executions = (long?)null, executionsByPreemptions = (object?)null, budgetHits = (long?)null,
                    summary = (string?)null, property = (string?)null, violation = (string?)null, counterexamplePreemptions = (int?)null,
                    counterexampleSteps = (long?)null, schedule = (string?)null, replay = (string?)null, layouts = (object?)null, scenarios = (object?)null,
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
        nmiMayEndStiShadow = c.Scenario.NmiMayEndStiShadow,
        variant = c.Scenario.Variant.IsDefault ? null : c.Scenario.Variant.ToString(),
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
        scenarios = c.Parts?.Select(x => new
        {
            irqsOff = x.Basis.InterruptsOff, spinlock = x.Basis.Spinlock, writerRunsSites = x.Basis.WriterRunsSites, scenario = x.Basis.ToString(), outcome = x.Result.Outcome.ToString().ToLowerInvariant(), executions = x.Result.Executions,
        }),
    };

    /// <summary>A repeatable option's values as given (empty: not given).</summary>
    private static string[] Names(ParseResult parse, string option) =>
        parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>().Where(o => o.Option.Name == option)
            .SelectMany(o => o.Tokens.Select(t => t.Value)).ToArray();

    /// <summary>The <c>--json</c> document (spec/exhaustive-report.schema.json).</summary>
    private static object Document(Worker.ExhaustiveJob job, ExhaustiveBound bound, List<CellResult> cells,
        string[] patcherNames, string[] modelNames, PluginCatalog catalog, ExhaustiveShard? shard)
    {
        var data = new
        {
            // The header every report has (spec/reports.md): the format of this shape, the tool, the options as parsed.
            format = ReportHeader.ExhaustiveFormat,
            report = "exhaustive",
            tool = new { name = ToolReport.This.Name, version = ToolReport.This.Version },
            options = new { patchers = patcherNames, models = modelNames, plugins = catalog.Patchers.Where(p => p.IsPlugin).Select(p => p.Name).ToArray() },
            summary = ExhaustiveMerge.Summary(cells.Select(c => c.Json).ToArray()),
            exhaustive = new
            {
                cpus = job.Cpus, sites = job.Sites, irqsOff = job.Irqs == "off", irqs = job.Irqs, preemptions = bound.IsUnbounded ? (object)"unbounded" : bound.Preemptions, interrupts = bound.Interrupts,
                patches = job.Patches, tasksPerCpu = bound.Interrupts > 0 ? 2 : 1, iterations = bound.Iterations, stepBudget = bound.StepBudget,
                maxExecutions = bound.MaxExecutions, reduction = bound.Reduce, layoutClasses = job.Layouts, transitions = job.Transitions, abi = job.Abi,
                writerRunsSites = job.WriterRunsSites,
            },
            results = cells.Select(c => c.Json),
        };
        if (shard is null) return data;
        // A shard's document is the whole run's but for its cells and this field (spec/exhaustive.md, "Shards").
        var node = JsonSerializer.SerializeToNode(data, JsonOptions.Indented)!.AsObject();
        node["shard"] = JsonSerializer.SerializeToNode(new { index = shard.Index, count = shard.Count, units = shard.Units, unitNames = shard.UnitNames, cellsPerUnit = shard.CellsPerUnit }, JsonOptions.Indented);
        return node;
    }
}
