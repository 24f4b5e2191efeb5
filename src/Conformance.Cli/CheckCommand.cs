using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// <c>check</c>: the main job. Today it checks the reference emulator against Iced for every
/// supported instruction form; the patcher x fetch-model matrix joins it as it lands.
/// </summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var runs = new Option<int>("--runs") { Description = "Generated cases per instruction form.", DefaultValueFactory = _ => 20 };
        var seed = new Option<string>("--seed") { Description = "Seed of the run (a non-negative whole number); the same seed gives the same run." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file." };
        var command = new Command("check", "Run the conformance checks and print a table of verdicts.") { runs, seed, json };
        command.SetAction(parse => Execute(parse.GetValue(runs), parse.GetValue(seed), parse.GetValue(json)));
        return command;
    }

    private static int Execute(int runs, string? seedText, FileInfo? json)
    {
        if (runs <= 0) throw new UsageException($"--runs {runs}: must be a positive number of cases");
        ulong seed = PropertySettings.DefaultSeed;
        if (seedText is not null && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            throw new UsageException($"--seed '{seedText}': not a non-negative whole number");

        var families = EmulatorCampaign.Families;
        var results = new List<FamilyResult>();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("emulator vs Iced", maxValue: families.Count);
                foreach (var (family, codes) in families)
                {
                    task.Description = $"emulator vs Iced: {family}";
                    results.Add(EmulatorCampaign.RunFamily(family, codes, runs, seed));
                    task.Increment(1);
                }
                task.Description = "emulator vs Iced";
            });

        var table = new Table().Title("Reference emulator vs Iced").AddColumn("family").AddColumn("forms")
            .AddColumn("cases").AddColumn("verdict").AddColumn("shrunk counterexample");
        foreach (var r in results)
            table.AddRow(r.Family, r.Codes.Count.ToString(), r.Cases.ToString(),
                r.Passed ? "[green]pass[/]" : "[red]FAIL[/]",
                r.Failure is null ? "" : Markup.Escape($"{r.Failure.Shrunk}: {string.Join("; ", r.Failure.Problems)}"));
        AnsiConsole.Write(table);
        int failed = results.Count(r => !r.Passed);
        AnsiConsole.MarkupLine(failed == 0
            ? $"[green]All {results.Count} instruction families agree with Iced[/] ({results.Sum(r => r.Cases)} cases, seed {seed})."
            : $"[red]{failed} of {results.Count} instruction families disagree with Iced[/] (seed {seed}).");
        foreach (var r in results.Where(r => r.Failure is not null))
            Console.WriteLine(r.Failure!.Report);

        if (json is not null)
        {
            var data = new
            {
                seed,
                runsPerForm = runs,
                emulator = results.Select(r => new
                {
                    family = r.Family,
                    forms = r.Codes.Count,
                    cases = r.Cases,
                    verdict = r.Passed ? "pass" : "fail",
                    shrunk = r.Failure?.Shrunk?.ToString(),
                    problems = r.Failure?.Problems,
                    replay = r.Failure?.ReplayTriple,
                }),
            };
            File.WriteAllText(json.FullName, JsonSerializer.Serialize(data, JsonOptions.Indented) + "\n");
        }
        return failed == 0 ? Cli.Ok : Cli.Failed;
    }
}
