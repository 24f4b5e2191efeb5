using System.CommandLine;
using System.Text.Json;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary><c>list</c>: the instruction families the emulator implements (later: patchers and fetch models).</summary>
public static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("list", "List what the suite can check: fetch models, schedule strategies, emulated instruction families.") { json };
        command.SetAction(parse =>
        {
            var families = EmulatorCampaign.Families;
            if (parse.GetValue(json))
            {
                var data = families.Select(f => new { family = f.Family, forms = f.Codes.Select(c => c.ToString()).ToArray() });
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    fetchModels = FetchModelRegistry.BuiltIn.Select(m => new { name = m.Name, description = m.Description }),
                    strategies = StrategyRegistry.BuiltIn.Select(s => new { name = s.Name, description = s.Description }),
                    instructionFamilies = data,
                }, JsonOptions.Indented));
                return Cli.Ok;
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
            return Cli.Ok;
        });
        return command;
    }
}
