using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Mutants;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// <c>check --mutants</c>: every mutant of <see cref="MutantRegistry"/> under every fetch model where
/// it must be killed, by the random search (<see cref="MatrixCampaign.RunCell"/>: which property,
/// after how many cases) and by the exhaustive mode (<see cref="ExhaustiveExplorer"/>: which property,
/// at which execution; "out of reach" where the explorer cannot take the scenario the mutant needs).
/// A mutant is killed when under each of its models one of the two finds a counterexample. Prints a
/// table per mutant and the kill score; exit 0 when every mutant is killed, 1 otherwise.
/// </summary>
public sealed class MutantsCheck
{
    /// <summary>The exhaustive mode's execution limit per cell with --mutants (a mutant is killed early or not at all).</summary>
    public const int DefaultMaxExecutions = 20_000;

    private readonly Option<bool> _mutants = new("--mutants") { Description = "Run the suite's mutants (historical bugs of the catalog's schemes) and report which the random search and the exhaustive mode kill (spec/mutants.md)." };
    private readonly Option<string[]> _mutant = new("--mutant") { Description = "With --mutants: only this mutant (repeatable)." };

    public void AddTo(Command check)
    {
        check.Options.Add(_mutants);
        check.Options.Add(_mutant);
    }

    public bool Requested(ParseResult parse) => parse.GetValue(_mutants);

    /// <summary>Refuses <c>--mutant</c> without <c>--mutants</c>, and (<paramref name="unused"/>) the options <c>--mutants</c> has no use for.</summary>
    public void CheckOptions(ParseResult parse, IEnumerable<Option> unused)
    {
        if (!Requested(parse))
        {
            if (parse.GetResult(_mutant) is { Implicit: false }) throw new UsageException("--mutant belongs to --mutants: add --mutants");
            return;
        }
        foreach (var o in unused)
            if (parse.GetResult(o) is { Implicit: false }) throw new UsageException($"{o.Name} has no meaning with --mutants");
    }

    /// <summary>What one run shares: the random search's budget and the exhaustive bound.</summary>
    public sealed record Settings(int Runs, ulong Seed, int MaxCpus, int Threads, ExhaustiveBound Bound, int Cpus);

    public int Execute(ParseResult parse, Settings s, IReadOnlyList<IFetchModel> models, FileInfo? json, FileInfo? junit = null)
    {
        var names = parse.GetValue(_mutant) ?? [];
        IReadOnlyList<MutantInfo> chosen;
        try { chosen = names.Length == 0 ? MutantRegistry.All : names.Select(MutantRegistry.Get).ToArray(); }
        catch (ArgumentException e) { throw new UsageException($"--mutant: {e.Message}"); }
        var report = Run(chosen, models, s, what => Console.Error.WriteLine($"mutants: {what}"));
        Print(report);
        if (json is not null)
            OutputPath.Write("--json", json, ReportHeader.With(ReportHeader.MutantsFormat, "mutants",
                new { mutants = names, models = models.Select(m => m.Name).ToArray(), runs = s.Runs, seed = s.Seed, maxCpus = s.MaxCpus, cpus = s.Cpus,
                    preemptions = s.Bound.Preemptions, maxExecutions = s.Bound.MaxExecutions },
                JsonSerializer.SerializeToNode(report, Json)!.AsObject(), Json).ToJsonString(Json) + "\n");
        if (junit is not null) OutputPath.Write("--junit", junit, MutantsJunit.Xml(report));
        return report.Killed == report.Total ? Cli.Ok : Cli.Failed;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Every chosen mutant under every chosen model where it must be killed, both ways, on <see cref="Settings.Threads"/> threads (the results do not depend on it).</summary>
    public static MutantsReport Run(IReadOnlyList<MutantInfo> mutants, IReadOnlyList<IFetchModel> models, Settings s, Action<string>? progress = null)
    {
        var jobs = (from m in mutants from model in models where m.Models.Contains(model.Name) select (Mutant: m, Model: model)).ToArray();
        var gate = new object();
        var cells = CampaignParallel.Map(jobs, s.Threads, j => new MutantCell(j.Model.Name, Random(j.Mutant, j.Model, s), Exhaustive(j.Mutant, j.Model, s)),
            i => { lock (gate) progress?.Invoke($"{jobs[i].Mutant.Name} / {jobs[i].Model.Name} done"); });
        var rows = mutants.Select(m => new MutantRow(m.Name, m.Mutates, m.Patcher.Source, m.Properties, m.Models,
            cells.Where((c, i) => jobs[i].Mutant == m).ToArray())).ToArray();
        return new MutantsReport(s.Seed, s.Runs, s.MaxCpus,
            new ExhaustiveSettings(s.Cpus, s.Bound.Preemptions, s.Bound.Iterations, s.Bound.StepBudget, s.Bound.MaxExecutions), rows);
    }

    /// <summary>The random search of one cell: the matrix's cell, with the budget of a cell expected to fail.</summary>
    private static RandomKill Random(MutantInfo m, IFetchModel model, Settings s)
    {
        if (m.RandomOutOfReach is { } why) return RandomKill.Unreachable(why);
        var clock = Stopwatch.StartNew();
        var cell = MatrixCampaign.RunCell(m.Patcher, model, nmi: false, s.Runs, s.Seed, s.MaxCpus, failRuns: CheckCells.FailRuns(m.Patcher, false, s.Runs));
        return new RandomKill(!cell.Passed, cell.Property, cell.Runs, Math.Round(clock.Elapsed.TotalSeconds, 2), cell.Shrunk?.First?.Message, cell.Token?.ToString());
    }

    /// <summary>The exhaustive mode on the mutant's scenario (two sites, a second writer, where it needs them), or why it cannot take it.</summary>
    private static ExhaustiveKill Exhaustive(MutantInfo m, IFetchModel model, Settings s)
    {
        var clock = Stopwatch.StartNew();
        double Seconds() => Math.Round(clock.Elapsed.TotalSeconds, 2);
        var scenario = ExhaustiveScenario.For(m.Patcher.Create(), s.Cpus, m.ExhaustiveSites, out string? declined, adjacent: m.AdjacentSites);
        if (scenario is null) return ExhaustiveKill.Unreachable(declined!, Seconds());
        var c = m.NeedsConcurrentWriter ? WithRival(scenario.Case) : scenario.Case;
        ExhaustiveResult result;
        try { result = ExhaustiveExplorer.Explore(m.Patcher.Create, model, c, s.Bound); }
        catch (Exception e) when (e is ArgumentException or ExhaustiveAssumptionException) { return ExhaustiveKill.Unreachable(e.Message, Seconds()); }
        if (result.Counterexample is { } cx)
            return new ExhaustiveKill(true, "counterexample", cx.Result.First?.Property, cx.Execution, result.Executions, null, Seconds(), cx.Result.First?.Message);
        // Not found: say why when the scenario cannot show the failure history names.
        var (_, failure) = scenario.Expectation(m.Patcher.Expectations, model.Name);
        string? outOfReach = failure is { } f ? scenario.OutOfReach(f, s.Bound) : null;
        return new ExhaustiveKill(false, result.Outcome.ToString().ToLowerInvariant(), null, null, result.Executions, outOfReach, Seconds(), null);
    }

    /// <summary>The scenario with a second patch of its first site, to another target, at the same time (what a missing text_mutex needs).</summary>
    private static PatchCase WithRival(PatchCase c)
    {
        var first = c.Batches[0][0];
        int other = new[] { 0, 1, 2, 3, -1 }.First(t => t != first.From && t != first.To);
        return c with { Concurrent = [new PlannedChange(first.Site, first.From, other)] };
    }

    private static void Print(MutantsReport report)
    {
        Console.WriteLine($"Mutants (seed {report.Seed}, up to {report.Runs * 25} random cases per cell; exhaustive: {report.Exhaustive.Cpus} CPUs, " +
                          $"at most {report.Exhaustive.Preemptions} preemption(s), {report.Exhaustive.MaxExecutions:N0} executions per cell)");
        foreach (var row in report.Mutants)
        {
            var table = new Table().Title(Markup.Escape($"{row.Name} ({(row.Killed ? "killed" : "SURVIVED")})")).AddColumn("model").AddColumn("random search").AddColumn("exhaustive");
            foreach (var c in row.Cells) table.AddRow(Markup.Escape(c.Model), Markup.Escape(c.Random.Text), Markup.Escape(c.Exhaustive.Text));
            AnsiConsole.Write(table);
            Console.WriteLine($"  mutates {row.Mutates}; must be killed by {string.Join(" or ", row.Properties)} under {string.Join(", ", row.Models)}");
            Console.WriteLine($"  stands for: {row.Source}");
            foreach (var reason in row.Cells.Select(c => c.Random.OutOfReach).OfType<string>().Distinct())
                Console.WriteLine($"  random search out of reach: {reason}");
            foreach (var reason in row.Cells.Select(c => c.Exhaustive.OutOfReach).OfType<string>().Distinct())
                Console.WriteLine($"  exhaustive out of reach: {reason}");
            foreach (var c in row.Cells.Where(c => c.Random.Killed && !row.Properties.Contains(c.Random.Property!)))
                Console.WriteLine($"  note: under {c.Model} the random search killed it by {c.Random.Property}, not by {string.Join(" or ", row.Properties)}");
        }
        int random = report.Mutants.Count(r => r.Cells.Any(c => c.Random.Killed));
        int exhaustive = report.Mutants.Count(r => r.Cells.Any(c => c.Exhaustive.Killed));
        string score = $"Kill score: {report.Killed}/{report.Total} mutants killed (random search kills {random}, exhaustive mode {exhaustive}).";
        AnsiConsole.MarkupLine(report.Killed == report.Total ? $"[green]{Markup.Escape(score)}[/]" : $"[red]{Markup.Escape(score)}[/]");
        foreach (var r in report.Mutants.Where(r => !r.Killed)) Console.WriteLine($"survived: {r.Name}");
    }
}

/// <summary><c>check --mutants --json</c>: the settings, every mutant's cells, and the score.</summary>
public sealed record MutantsReport(ulong Seed, int Runs, int MaxCpus, ExhaustiveSettings Exhaustive, IReadOnlyList<MutantRow> Mutants)
{
    public int Killed => Mutants.Count(m => m.Killed);
    public int Total => Mutants.Count;
}

public sealed record ExhaustiveSettings(int Cpus, int Preemptions, int Iterations, int StepBudget, int MaxExecutions);

/// <summary>One mutant: killed when every model where it must be killed kills it, by either mode.</summary>
public sealed record MutantRow(string Name, string Mutates, string Source, IReadOnlyList<string> Properties, IReadOnlyList<string> Models, IReadOnlyList<MutantCell> Cells)
{
    public bool Killed => Cells.Count > 0 && Cells.All(c => c.Random.Killed || c.Exhaustive.Killed);
}

public sealed record MutantCell(string Model, RandomKill Random, ExhaustiveKill Exhaustive);

/// <summary>The random search's result: the property of the shrunk counterexample and the cases it took to find the first failure.</summary>
public sealed record RandomKill(bool Killed, string? Property, int Cases, double Seconds, string? Violation, string? Replay)
{
    /// <summary>Why the generators cannot make a case that shows the mutant (then nothing was run), or null.</summary>
    public string? OutOfReach { get; init; }

    public static RandomKill Unreachable(string reason) => new(false, null, 0, 0, null, null) { OutOfReach = reason };

    public string Text => Killed ? $"{MutantText.Short(Property)} after {Cases} case(s), {Seconds:F1} s"
        : OutOfReach is not null ? "out of reach (not run)"
        : $"survived {Cases} case(s), {Seconds:F1} s";
}

/// <summary>The exhaustive mode's result: the property and the execution of the first counterexample, or why the scenario cannot show it.</summary>
public sealed record ExhaustiveKill(bool Killed, string Outcome, string? Property, long? Execution, long Executions, string? OutOfReach, double Seconds, string? Violation)
{
    public static ExhaustiveKill Unreachable(string reason, double seconds) => new(false, "out-of-reach", null, null, 0, reason, seconds, null);

    public string Text => Killed ? $"{MutantText.Short(Property)} at execution {Execution:N0}, {Seconds:F1} s"
        : OutOfReach is not null ? $"out of reach ({Outcome switch { "out-of-reach" => "rejected", _ => $"{Outcome}, {Executions:N0} executions" }})"
        : $"survived: {Outcome}, {Executions:N0} executions, {Seconds:F1} s";
}

internal static class MutantText
{
    /// <summary>P1..P5 by number; anything else (a patcher's error) by its name.</summary>
    public static string Short(string? property) => Conformance.Reporting.PropertyLabel.Short(property);
}
