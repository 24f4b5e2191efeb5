using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Checking.Tokens;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Reporting;

namespace Conformance.Cli;

/// <summary>
/// An execution found by <c>check --exhaustive</c>, from its <c>cx2:...</c> token: <c>replay</c>
/// prints its violations and trace, <c>explain</c> draws its timeline.
/// </summary>
public static class ExhaustiveReplay
{
    /// <summary><c>replay cx2:...</c>: runs the execution again; exit 1 when it fails (as a counterexample should), 0 when it passes.</summary>
    public static int Run(string text, IReadOnlyList<PatcherInfo> catalog)
    {
        var (token, patcher, model, scenario) = Load(text, catalog);
        var result = PatchCheck.Run(patcher.Create, model, scenario.WithSchedule(token.Schedule), scenario.NmiMayEndStiShadow, recordTrace: true);
        Console.WriteLine($"{patcher.Name} under {model.Name}, {scenario}: {(result.Passed ? "pass" : "fail")}");
        Console.WriteLine($"schedule: {token.Schedule}");
        foreach (var v in result.Violations) Console.WriteLine($"  {v}");
        Console.WriteLine("trace:");
        foreach (var line in result.Trace) Console.WriteLine(line);
        if (!result.Passed) Console.WriteLine($"the same execution as a timeline: {TokenCommand.Line("explain", token.ToString(), token.Plugin)}");
        return result.Passed ? Cli.Ok : Cli.Failed;
    }

    /// <summary>The execution as a report's counterexample (traced), or null when it passes.</summary>
    public static Counterexample? Counterexample(string text, IReadOnlyList<PatcherInfo> catalog)
    {
        var (token, patcher, model, scenario) = Load(text, catalog);
        var c = scenario.WithSchedule(token.Schedule);
        var result = PatchCheck.Run(patcher.Create, model, c, scenario.NmiMayEndStiShadow, recordTrace: true);
        return result.Passed
            ? null
            : new Counterexample(patcher.Name, patcher.Description, model.Name, model.Description, scenario.NmiMayEndStiShadow, c, result)
            {
                Token = token.ToString(),
                Plugin = token.Plugin,
                Seed = "none: an execution of the exhaustive exploration, given by its schedule (spec/exhaustive.md)",
            };
    }

    /// <summary>Parses the token and finds what it names; anything wrong is a usage error naming it.</summary>
    private static (ExhaustiveToken Token, PatcherInfo Patcher, IFetchModel Model, ExhaustiveScenario Scenario) Load(string text, IReadOnlyList<PatcherInfo> catalog)
    {
        try
        {
            var token = ExhaustiveToken.Parse(text);
            var patcher = Checking.Tokens.TokenPatcher.Find(token.Patcher, token.Plugin, catalog);
            var model = FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == token.Model)
                ?? throw new ArgumentException($"replay token names fetch model '{token.Model}', which does not exist");
            var scenario = (token.Offsets is { } offsets
                    ? ExhaustiveScenario.At(patcher.Create(), token.Cpus, token.Sites, offsets, out string? declined, token.InterruptsOff,
                        token.Tasks, token.Patches, token.NmiMayEndStiShadow, token.Variant, token.Spinlock, token.WriterRunsSites)
                    : ExhaustiveScenario.For(patcher.Create(), token.Cpus, token.Sites, out declined, token.InterruptsOff,
                        tasks: token.Tasks, patches: token.Patches, nmiMayEndStiShadow: token.NmiMayEndStiShadow, variant: token.Variant, spinlock: token.Spinlock, writerRunsSites: token.WriterRunsSites))
                ?? throw new ArgumentException($"replay token's scenario does not exist: {declined}");
            token.Schedule.Validate(token.Cpus);
            ExhaustiveTokenCheck.FetchChoices(patcher.Create, model, scenario.WithSchedule(token.Schedule), scenario.NmiMayEndStiShadow);
            return (token, patcher, model, scenario);
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
