using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary><c>replay cx1:...</c>: re-runs one execution found by <c>check --exhaustive</c> and prints its violations and trace.</summary>
public static class ExhaustiveReplay
{
    public static int Run(string text, IReadOnlyList<PatcherInfo> catalog)
    {
        ExhaustiveToken token;
        ExhaustiveScenario scenario;
        IFetchModel model;
        PatcherInfo patcher;
        try
        {
            token = ExhaustiveToken.Parse(text);
            patcher = catalog.FirstOrDefault(p => p.Name == token.Patcher)
                ?? throw new ArgumentException($"replay token names patcher '{token.Patcher}', which is not in the catalog (a plug-in? pass --plugin)");
            model = FetchModelRegistry.BuiltIn.FirstOrDefault(m => m.Name == token.Model)
                ?? throw new ArgumentException($"replay token names fetch model '{token.Model}', which does not exist");
            scenario = ExhaustiveScenario.For(patcher.Create(), token.Cpus, token.Sites, out string? declined, token.InterruptsOff)
                ?? throw new ArgumentException($"replay token's scenario does not exist: {declined}");
            token.Schedule.Validate(token.Cpus);
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }

        var result = PatchCheck.Run(patcher.Create, model, scenario.WithSchedule(token.Schedule), recordTrace: true);
        Console.WriteLine($"{patcher.Name} under {model.Name}, {scenario}: {(result.Passed ? "pass" : "fail")}");
        Console.WriteLine($"schedule: {token.Schedule}");
        foreach (var v in result.Violations) Console.WriteLine($"  {v}");
        Console.WriteLine("trace:");
        foreach (var line in result.Trace) Console.WriteLine(line);
        return result.Passed ? Cli.Ok : Cli.Failed;
    }
}
