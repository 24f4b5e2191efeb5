using System.CommandLine;
using System.Globalization;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Prediction;
using Conformance.Probe.Rows;
using Conformance.Probe.Run;

namespace Conformance.Cli;

/// <summary>
/// <c>probe</c>: runs the site-flipping probe on this CPU (x86-64 Linux) and says which fetch models
/// its behaviour contradicts (spec/probe.md). <c>--predictions</c> prints the emulator's prediction
/// table instead (anywhere); <c>--from TOKEN</c> runs the cell that would show a counterexample.
/// Exit 0 when nothing contradicts a model (with --from: the counterexample's tear was not seen),
/// 1 when something does (the tear was seen), 2 on bad usage or where the probe cannot run.
/// </summary>
public static class ProbeCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "How long the whole probe runs, split evenly among its cells.", DefaultValueFactory = _ => 10 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON to this file." };
        var shapes = new Option<string[]>("--shape") { Description = $"Only this row (repeatable): {string.Join(", ", ProbeRows.All.Select(r => r.Name))}, or another catalog patcher." };
        var placements = new Option<string[]>("--placement") { Description = $"Only this placement (repeatable): {string.Join(", ", Placement.All.Select(p => p.Name))}, or offsetN (N = 0..63)." };
        var from = new Option<string?>("--from") { Description = "Run the cell that would show this counterexample (a cf/cx replay token of a torn decode by an int3-free scheme) on this CPU." };
        var cores = new Option<string?>("--cores") { Description = "The reader's and the writer's core, as R,W (default: the first two this process may run on)." };
        var memory = new Option<string>("--memory") { Description = "Executable memory: auto (RWX, else a double mapping), rwx, double.", DefaultValueFactory = _ => "auto" };
        var predictions = new Option<bool>("--predictions") { Description = "Print the fetch models' prediction table (markdown, from the emulator) and exit; needs no hardware." };
        var plugin = new Worker.PluginOptions();
        var command = new Command("probe", "Flip a call site on this CPU while another core calls it, count torn calls, and say which fetch models the hardware contradicts.")
            { seconds, json, shapes, placements, from, cores, memory, predictions };
        plugin.AddTo(command);
        command.SetAction(parse =>
        {
            var plugins = plugin.Read(parse);
            if (Worker.CommandRelay.Needed(plugins)) return Worker.CommandRelay.Run(plugins);   // plug-ins' code runs in a worker process
            var catalog = Plugins.Catalog(plugins);
            var rows = Usage(() => (parse.GetValue(shapes) ?? []).SelectMany(Split).Select(n => ProbeRows.Get(n, catalog)).ToArray(), "--shape");
            var places = Usage(() => (parse.GetValue(placements) ?? []).SelectMany(Split).Select(Placement.Parse).ToArray(), "--placement");
            double s = parse.GetValue(seconds);
            if (!(s > 0) || s > 24 * 3600) throw new UsageException($"--seconds {s.ToString(CultureInfo.InvariantCulture)}: must be more than 0 and at most a day");
            if (parse.GetValue(predictions))
            {
                Console.Write(PredictionTable.Render(PredictionTable.Compute(rows.Length > 0 ? rows : null, places.Length > 0 ? places : null)));
                return Cli.Ok;
            }
            var settings = new ProbeSettings { Memory = Memory(parse.GetValue(memory)!), Cores = Cores(parse.GetValue(cores)) };
            var jsonFile = parse.GetValue(json);
            if (jsonFile?.Directory is { Exists: false } dir) throw new UsageException($"--json {jsonFile.FullName}: the directory {dir.FullName} does not exist");
            try
            {
                if (parse.GetValue(from) is { } token)
                {
                    if (rows.Length > 0 || places.Length > 0) throw new UsageException("--from runs the counterexample's own cell: it takes no --shape or --placement");
                    return FromToken(token, catalog, settings, TimeSpan.FromSeconds(s), jsonFile);
                }
                var report = ProbeRunner.Run(rows.Length > 0 ? rows : ProbeRows.All, places.Length > 0 ? places : Placement.All, TimeSpan.FromSeconds(s), settings, Progress);
                Print(report, jsonFile);
                return report.Verdict.Models.Any(m => m.Contradicted) ? Cli.Failed : Cli.Ok;
            }
            catch (ProbeUnavailableException e) { throw new UsageException($"probe: {e.Message}"); }
            catch (ArgumentException e) { throw new UsageException($"probe: {e.Message}"); }
            catch (ProbeHangException e)
            {
                // A thread still runs the generated code: unmapping it would crash the process, so leave at once.
                Console.Error.WriteLine($"conformance: probe: {e.Message}");
                Console.Out.Flush();
                Environment.Exit(Cli.Failed);
                return Cli.Failed;
            }
        });
        return command;
    }

    private static int FromToken(string token, IReadOnlyList<Patching.PatcherInfo> catalog, ProbeSettings settings, TimeSpan time, FileInfo? jsonFile)
    {
        var counterexample = ProbeFromToken.Load(token, catalog);
        if (counterexample is null)
        {
            Console.WriteLine($"{token}: the case passes now; there is no counterexample to try on hardware (was the token made by another version?)");
            return Cli.Failed;
        }
        var cell = CounterexampleCell.Of(counterexample, catalog);
        Console.WriteLine($"counterexample: {counterexample.Patcher} under {cell.Model}: {counterexample.Violation}");
        Console.WriteLine($"probe cell: {cell.Row.Name} at {cell.Placement} ({cell.Placement.Description}); the torn fetch {cell.TornFetch} has the pattern {cell.Pattern} (o old byte, n new byte, - unchanged, x other)");
        if (cell.Note is not null) Console.WriteLine($"note: {cell.Note}");
        var report = ProbeRunner.Run([cell.Row], [cell.Placement], time, settings, Progress);
        Print(report, jsonFile);
        long seen = cell.Matching(report.Cells[0].Observation!);
        Console.WriteLine(seen > 0
            ? $"this CPU made the counterexample's tear: {seen:N0} torn call{(seen == 1 ? "" : "s")} with the pattern {cell.Pattern}"
            : $"this CPU did not make the counterexample's tear (pattern {cell.Pattern}) in {report.Cells[0].Observation!.Calls:N0} calls");
        return seen > 0 ? Cli.Failed : Cli.Ok;
    }

    private static void Print(ProbeReport report, FileInfo? jsonFile)
    {
        Console.Write(ProbeText.Render(report));
        if (jsonFile is null) return;
        string temp = jsonFile.FullName + ".tmp";
        try
        {
            File.WriteAllText(temp, ProbeJson.Render(report));
            File.Move(temp, jsonFile.FullName, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write {jsonFile.FullName}: {e.Message}");
        }
        Console.WriteLine($"JSON report: {jsonFile.FullName}");
    }

    private static void Progress(string line) => Console.Error.WriteLine($"probe: {line}");

    private static IEnumerable<string> Split(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static MemoryPolicy Memory(string text) => text switch
    {
        "auto" => MemoryPolicy.Auto,
        "rwx" => MemoryPolicy.Rwx,
        "double" => MemoryPolicy.DoubleMapping,
        _ => throw new UsageException($"--memory {text}: unknown; known: auto, rwx, double"),
    };

    private static (int, int)? Cores(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int r)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w) && r < 1024 && w < 1024)
            return (r, w);
        throw new UsageException($"--cores {text}: not two core numbers like 0,1");
    }

    private static T Usage<T>(Func<T> parse, string option)
    {
        try { return parse(); }
        catch (ArgumentException e) { throw new UsageException($"{option}: {e.Message}"); }
    }
}
