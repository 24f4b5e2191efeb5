using System.CommandLine;
using System.Text.Json;
using Conformance.Generators.Campaigns;
using Spectre.Console;

namespace Conformance.Cli;

/// <summary><c>list</c>: the instruction families the emulator implements (later: patchers and fetch models).</summary>
public static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("list", "List what the suite can check: the emulated instruction families and their forms.") { json };
        command.SetAction(parse =>
        {
            var families = EmulatorCampaign.Families;
            if (parse.GetValue(json))
            {
                var data = families.Select(f => new { family = f.Family, forms = f.Codes.Select(c => c.ToString()).ToArray() });
                Console.WriteLine(JsonSerializer.Serialize(new { instructionFamilies = data }, JsonOptions.Indented));
                return Cli.Ok;
            }
            var table = new Table().AddColumn("family").AddColumn("forms").AddColumn("examples");
            foreach (var (family, codes) in families)
                table.AddRow(family, codes.Length.ToString(), Markup.Escape(string.Join(", ", codes.Take(3)) + (codes.Length > 3 ? ", ..." : "")));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{families.Count} families, {families.Sum(f => f.Codes.Length)} instruction forms.");
            return Cli.Ok;
        });
        return command;
    }
}
