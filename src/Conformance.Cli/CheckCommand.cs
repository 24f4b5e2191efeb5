using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// <c>check</c>: the main job. The verdict matrix (every patcher under every fetch model, each cell
/// a property over generated scenarios, failures shrunk) and the emulator's agreement with Iced.
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
        var maxCpus = new Option<int>("--max-cpus") { Description = "Most CPUs a generated scenario uses (2 to 8).", DefaultValueFactory = _ => 4 };
        var emulatorRuns = new Option<int>("--emulator-runs") { Description = "Cases per instruction form for the emulator-vs-Iced check (0 skips it).", DefaultValueFactory = _ => 5 };
        var plugin = Plugins.Option();
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file." };
        var command = new Command("check", "Run the verdict matrix and the emulator check, and print a table of verdicts (--exhaustive: explore every schedule of a small scenario within a preemption bound).")
            { patchers, models, runs, seed, maxCpus, emulatorRuns, plugin, json };
        var exhaustive = new ExhaustiveCheck();
        exhaustive.AddTo(command);
        command.SetAction(parse =>
        {
            exhaustive.CheckOptions(parse, [runs, seed, maxCpus, emulatorRuns]);
            return exhaustive.Requested(parse)
                ? exhaustive.Execute(parse, ChoosePatchers(parse.GetValue(patchers), parse.GetValue(plugin)), ChooseModels(parse.GetValue(models)), parse.GetValue(json))
                : Execute(parse.GetValue(patchers), parse.GetValue(models), parse.GetValue(runs), parse.GetValue(seed),
                    parse.GetValue(maxCpus), parse.GetValue(emulatorRuns), parse.GetValue(plugin), parse.GetValue(json));
        });
        return command;
    }

    /// <summary>The patchers <c>--patcher</c> names (all, if none), from the catalog and <c>--plugin</c>s.</summary>
    private static IReadOnlyList<PatcherInfo> ChoosePatchers(string[]? names, string[]? plugins)
    {
        var catalog = Plugins.Catalog(plugins);
        return names is { Length: > 0 }
            ? names.Select(n => catalog.FirstOrDefault(p => p.Name == n) ?? throw new UsageException($"--patcher {n}: unknown; known: {string.Join(", ", catalog.Select(p => p.Name))}")).ToArray()
            : catalog.ToArray();
    }

    /// <summary>The fetch models <c>--model</c> names (all, if none).</summary>
    private static IReadOnlyList<IFetchModel> ChooseModels(string[]? names) =>
        names is { Length: > 0 }
            ? names.Select(n => FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == n) ?? throw new UsageException($"--model {n}: unknown; known: {string.Join(", ", FetchModelRegistry.BuiltIn.Select(m => m.Name))}")).ToArray()
            : FetchModelRegistry.BuiltIn.ToArray();

    private static int Execute(string[]? patcherNames, string[]? modelNames, int runs, string? seedText, int maxCpus, int emulatorRuns,
        string[]? plugins, FileInfo? json)
    {
        if (runs <= 0) throw new UsageException($"--runs {runs}: must be a positive number of cases");
        if (maxCpus is < 2 or > 8) throw new UsageException($"--max-cpus {maxCpus}: must be 2 to 8");
        if (emulatorRuns < 0) throw new UsageException($"--emulator-runs {emulatorRuns}: cannot be negative");
        ulong seed = PropertySettings.DefaultSeed;
        if (seedText is not null && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            throw new UsageException($"--seed '{seedText}': not a non-negative whole number");
        var chosen = ChoosePatchers(patcherNames, plugins);
        var fetchModels = ChooseModels(modelNames);

        var cells = MatrixCampaign.Cells(chosen, fetchModels).ToArray();
        var results = new List<MatrixCell>();
        var emulator = new List<FamilyResult>();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("verdict matrix", maxValue: Math.Max(1, cells.Length));
                foreach (var (p, m, nmi) in cells)
                {
                    task.Description = $"matrix: {p.Name} / {m.Name}";
                    // An open cell gets the ordinary budget: searching it longer is what --runs is for.
                    results.Add(MatrixCampaign.RunCell(p, m, nmi, runs, seed, maxCpus, failRuns: MatrixCampaign.IsOpenCell(p.Name, nmi) ? runs : runs * 25));
                    task.Increment(1);
                }
                task.Description = "verdict matrix";
                if (emulatorRuns == 0) return;
                var families = EmulatorCampaign.Families;
                var emu = ctx.AddTask("emulator vs Iced", maxValue: families.Count);
                foreach (var (family, codes) in families)
                {
                    emulator.Add(EmulatorCampaign.RunFamily(family, codes, emulatorRuns, seed));
                    emu.Increment(1);
                }
            });

        var table = new Table().Title($"Verdict matrix (seed {seed}, {runs} cases per cell)").AddColumn("patcher");
        foreach (var m in fetchModels) table.AddColumn(m.Name);
        foreach (var row in results.GroupBy(r => (r.Patcher, r.NmiMayEndStiShadow)))
        {
            var cellsText = fetchModels.Select(m => row.FirstOrDefault(r => r.Model == m.Name) is { } c ? CellMarkup(c) : "").ToArray();
            table.AddRow([Markup.Escape(row.Key.Patcher + (row.Key.NmiMayEndStiShadow ? " (NMI ends STI shadow)" : "")), .. cellsText]);
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("pass / fail: the verdict; [green]green[/] agrees with history, [red]red[/] does not, [yellow]yellow[/]: undecided (the suite decides) or open (spec/verdicts.md). P1-P4: the property a counterexample violates.");
        int disagree = results.Count(r => !r.Agrees && !r.IsOpen);
        int open = results.Count(r => r.IsOpen);
        foreach (var r in results.Where(r => !r.Passed && r.Shrunk is not null))
            Console.WriteLine($"{r.Patcher} / {r.Model}{(r.NmiMayEndStiShadow ? " (NMI)" : "")}: {r.Shrunk!.First} | replay {r.Token}");
        if (results.Any(r => !r.Passed && r.Shrunk is not null))
            Console.WriteLine("Read one as a timeline: dotnet run --project src/Conformance.Cli -- explain TOKEN (add --html page.html for a drawing, --json trace.json for the events).");
        if (emulatorRuns > 0)
            AnsiConsole.MarkupLine(emulator.All(e => e.Passed)
                ? $"[green]Emulator: all {emulator.Count} instruction families agree with Iced[/] ({emulator.Sum(e => e.Cases)} cases)."
                : $"[red]Emulator: {emulator.Count(e => !e.Passed)} instruction families disagree with Iced[/]: {string.Join(", ", emulator.Where(e => !e.Passed).Select(e => e.Family))}.");
        AnsiConsole.MarkupLine(disagree == 0
            ? $"[green]All {results.Count - open} decided cells agree with their expectations[/]{(open > 0 ? $"; {open} open cell(s) not found in this run (spec/verdicts.md)" : "")}."
            : $"[red]{disagree} of {results.Count} cells disagree with their expectations.[/]");

        if (json is not null) WriteJson(json, seed, runs, maxCpus, results, emulator);
        return disagree == 0 && emulator.All(e => e.Passed) ? Cli.Ok : Cli.Failed;
    }

    private static string CellMarkup(MatrixCell c)
    {
        string color = c.Expected == ExpectedVerdict.Undecided || c.IsOpen ? "yellow" : c.Agrees ? "green" : "red";
        if (c.IsOpen) return $"[{color}]open[/]";
        string property = c.Property is { } p ? " " + p[..2] : "";
        return $"[{color}]{c.Verdict}{property}[/]";
    }

    private static void WriteJson(FileInfo file, ulong seed, int runs, int maxCpus, List<MatrixCell> results, List<FamilyResult> emulator)
    {
        var data = new
        {
            seed,
            runsPerCell = runs,
            maxCpus,
            matrix = results.Select(r => new
            {
                patcher = r.Patcher,
                model = r.Model,
                nmiMayEndStiShadow = r.NmiMayEndStiShadow,
                verdict = r.Verdict,
                expected = r.Expected switch { ExpectedVerdict.Pass => "pass", ExpectedVerdict.Fail => "fail", _ => "none" },
                agrees = r.Agrees,
                open = r.IsOpen,
                runs = r.Runs,
                property = r.Property,
                shrunkCpus = r.ShrunkCase?.Cpus,
                shrunkSteps = r.ShrunkCase?.Schedule.TotalSteps,
                violation = r.Shrunk?.First?.Message,
                replay = r.Token?.ToString(),
            }),
            emulator = emulator.Select(e => new { family = e.Family, forms = e.Codes.Count, cases = e.Cases, verdict = e.Passed ? "pass" : "fail" }),
        };
        File.WriteAllText(file.FullName, JsonSerializer.Serialize(data, JsonOptions.Indented) + "\n");
    }
}
