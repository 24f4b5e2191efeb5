using System.CommandLine;
using System.Text.Json;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary><c>list</c>: the instruction families the emulator implements (later: patchers and fetch models).</summary>
public static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var plugin = new Worker.PluginOptions();
        var command = new Command("list", "List what the suite can check: patchers, fetch models, schedule strategies, emulated instruction families (exit 1 when a plug-in's patcher does not load).") { json };
        plugin.AddTo(command);
        command.SetAction(parse =>
        {
            var families = EmulatorCampaign.Families;
            var loaded = Plugins.Load(plugin.Read(parse));
            var patchers = loaded.Patchers;
            int exit = loaded.Faults.Count == 0 ? Cli.Ok : Cli.Failed;
            if (parse.GetValue(json))
            {
                var data = families.Select(f => new { family = f.Family, forms = f.Codes.Select(c => c.ToString()).ToArray() });
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    patchers = patchers.Select(p => new
                    {
                        name = p.Name, description = p.Description, source = p.Source, plugin = p.IsPlugin,
                        declaredNeeds = Conformance.Checking.FetchAssumption.Declared(p.Expectations).Needs,
                        expectations = p.Expectations.Select(e => new
                        {
                            verdict = e.Verdict.ToString().ToLowerInvariant(),
                            failure = e.Failure?.ToString(),
                            models = e.Models, transitions = e.Transitions?.Select(t => t.ToString()), abi = e.Abi?.ToString(),
                            nmiMayEndStiShadow = e.NmiMayEndStiShadow, reason = e.Reason,
                        }),
                    }),
                    pluginErrors = loaded.Faults.Select(f => new
                    {
                        assembly = f.Origin.AssemblyPath, type = f.Origin.TypeName, name = f.Name, member = f.Member.ToString(), message = f.Message,
                    }),
                    fetchModels = FetchModelRegistry.BuiltIn.Select(m => new { name = m.Name, description = m.Description }),
                    strategies = StrategyRegistry.BuiltIn.Select(s => new { name = s.Name, description = s.Description }),
                    instructionFamilies = data,
                }, JsonOptions.Indented));
                return exit;
            }
            // Names and verdicts in the table; descriptions, sources and reasons below it (and all of it with --json).
            // "needs": the weakest fetch model its declared expectations pass under (check measures it: the matrix's last column).
            var catalog = new Table().Title("Patchers").AddColumn("name").AddColumn("expected").AddColumn("needs (declared)");
            foreach (var p in patchers)
                catalog.AddRow(Markup.Escape(p.Name + (p.IsPlugin ? " (plug-in)" : "")),
                    Markup.Escape(p.Expectations.Count == 0 ? "pass (none declared)" : string.Join("\n", p.Expectations.Select(e => e.Summary))),
                    Markup.Escape(Conformance.Checking.FetchAssumption.Declared(p.Expectations).Needs));
            AnsiConsole.Write(catalog);
            foreach (var f in loaded.Faults)
            {
                AnsiConsole.Markup($"[red]{CellOutcome.PluginError}[/] ");
                Console.WriteLine(f.Message);
            }
            foreach (var p in patchers)
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(p.Name)}[/]: {Markup.Escape(p.Description)}");
                AnsiConsole.MarkupLine($"  source: {Markup.Escape(p.Source)}");
                AnsiConsole.MarkupLine($"  declared: {Markup.Escape(Conformance.Checking.FetchAssumption.Declared(p.Expectations).Sentence)}");
                foreach (var e in p.Expectations) AnsiConsole.MarkupLine($"  expected {Markup.Escape(e.ToString())}");
            }
            var models = new Table().Title("Fetch models").AddColumn("name").AddColumn("description");
            foreach (var m in FetchModelRegistry.BuiltIn) models.AddRow(m.Name, Markup.Escape(m.Description));
            AnsiConsole.Write(models);
            var strategies = new Table().Title("Schedule strategies").AddColumn("name").AddColumn("description");
            foreach (var s in StrategyRegistry.BuiltIn) strategies.AddRow(s.Name, Markup.Escape(s.Description));
            AnsiConsole.Write(strategies);
            var table = new Table().Title("Instruction families").AddColumn("family").AddColumn("forms").AddColumn("examples");
            foreach (var (family, codes) in families)
                table.AddRow(family, codes.Length.ToString(), Markup.Escape(string.Join(", ", codes.Take(3)) + (codes.Length > 3 ? ", ..." : "")));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{families.Count} families, {families.Sum(f => f.Codes.Length)} instruction forms.");
            if (loaded.Faults.Count > 0) Console.WriteLine($"{loaded.Faults.Count} plug-in patcher(s) did not load (plugin-error lines above); the others are listed.");
            return exit;
        });
        return command;
    }
}
