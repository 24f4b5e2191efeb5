using System.CommandLine;
using Conformance.Checking.Exhaustive;
using Conformance.Generators.Campaigns;

namespace Conformance.Cli;

/// <summary><c>replay TOKEN</c>: re-runs one matrix case exactly and prints its shrunk case, violations and trace.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var token = new Argument<string>("token") { Description = "A replay token printed by check (cf2:patcher:model:...) or by check --exhaustive (cx2:...)." };
        var plugin = new Worker.PluginOptions();
        var layoutsFrom = LayoutsFrom.Option();
        var command = new Command("replay", "Re-run one case of the verdict matrix from its replay token.") { token, layoutsFrom };
        plugin.AddTo(command);
        command.SetAction(parse =>
        {
            var plugins = plugin.Read(parse);
            if (Worker.CommandRelay.Needed(plugins)) return Worker.CommandRelay.Run(plugins);   // a plug-in's case runs in a worker process
            if (ExhaustiveToken.Looks(parse.GetValue(token)!)) return ExhaustiveReplay.Run(parse.GetValue(token)!, Plugins.Catalog(plugins));
            ReplayToken parsed;
            MatrixCell cell;
            try
            {
                parsed = ReplayToken.Parse(parse.GetValue(token)!);
                cell = MatrixCampaign.Replay(parsed, Plugins.Catalog(plugins), LayoutsFrom.Load(parse.GetValue(layoutsFrom)));
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            Console.WriteLine($"{cell.Patcher} under {cell.Model}{(cell.NmiMayEndStiShadow ? " (NMI may end the STI shadow)" : "")}: {cell.Verdict}");
            if (cell.Shrunk is null) return Cli.Ok;
            Console.WriteLine($"shrunk case: {cell.ShrunkCase}");
            foreach (var v in cell.Shrunk.Violations) Console.WriteLine($"  {v}");
            Console.WriteLine("trace:");
            foreach (var line in cell.Shrunk.Trace) Console.WriteLine(line);
            Console.WriteLine($"the same case as a timeline: {TokenLines.Explain(parsed.ToString())}{LayoutsFrom.Suffix(parse.GetValue(layoutsFrom))}");
            return Cli.Failed;
        });
        return command;
    }
}
