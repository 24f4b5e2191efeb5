using System.CommandLine;
using Conformance.Machine;

namespace Conformance.Cli;

/// <summary><c>scenarios</c>: show, verify or promote the litmus scenarios of <c>spec/scenarios</c>.</summary>
public static class ScenariosCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "The scenario directory.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("spec", "scenarios")) };
        var promote = new Option<bool>("--promote") { Description = "Rewrite every NAME.expected from what the machine does (review the diff before committing)." };
        var show = new Option<bool>("--show") { Description = "Print every scenario's outcomes without comparing." };
        var command = new Command("scenarios", "Verify the litmus scenarios against their expected outcomes (or show or promote them).") { dir, promote, show };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(dir)!;
            if (File.Exists(directory.FullName)) throw new UsageException($"--dir {directory}: is a file, not a directory");
            if (!directory.Exists) throw new UsageException($"--dir {directory.FullName}: no such directory");
            if (parse.GetValue(promote))
            {
                var changed = ScenarioDriver.Promote(directory.FullName);
                Console.WriteLine(changed.Count == 0 ? "every expected file already matches" : $"rewrote: {string.Join(", ", changed)}");
                return Cli.Ok;
            }
            int failed = 0;
            foreach (var check in ScenarioDriver.Verify(directory.FullName))
            {
                if (parse.GetValue(show))
                {
                    Console.WriteLine($"{check.Name}:");
                    foreach (var line in check.Actual) Console.WriteLine($"  {line}");
                    continue;
                }
                Console.WriteLine($"{(check.Matches ? "ok  " : "FAIL")} {check.Name}");
                if (!check.Matches) { failed++; Console.WriteLine(check.Diff); }
            }
            return failed == 0 ? Cli.Ok : Cli.Failed;
        });
        return command;
    }
}
