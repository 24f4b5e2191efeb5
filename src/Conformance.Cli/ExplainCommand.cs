using System.CommandLine;
using Conformance.Generators.Campaigns;
using Conformance.Reporting;

namespace Conformance.Cli;

/// <summary>
/// <c>explain TOKEN</c>: re-runs one matrix case (or one execution of <c>check --exhaustive</c>) from its replay token and prints its timeline (one
/// row per step, one column per CPU and one for the patcher, the offending event marked, and why it
/// violates the property); <c>--html FILE</c> writes the same timeline as one self-contained page
/// with an SVG drawing, <c>--json FILE</c> the structured trace. Exit 0 when it explained a
/// counterexample, 1 when the token's case no longer fails, 2 on bad usage.
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var token = new Argument<string>("token") { Description = "A replay token printed by check (cf2:patcher:model:...) or check --exhaustive (cx2:...)." };
        var html = new Option<FileInfo?>("--html") { Description = "Also write the timeline as one self-contained HTML page (inline SVG, no scripts, no network) to this file." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the structured trace (every event, typed) as JSON to this file." };
        var plugin = new Worker.PluginOptions();
        var layoutsFrom = LayoutsFrom.Option();
        var command = new Command("explain", "Explain one counterexample of the verdict matrix or of check --exhaustive: its timeline as text, HTML/SVG or JSON.") { token, html, json, layoutsFrom };
        plugin.AddTo(command);
        command.SetAction(parse =>
        {
            OutputPath.CheckAll(("--html", parse.GetValue(html)), ("--json", parse.GetValue(json)));   // before the replay
            var plugins = plugin.Read(parse);
            if (Worker.CommandRelay.Needed(plugins)) return Worker.CommandRelay.Run(plugins);   // a plug-in's case runs in a worker process
            Counterexample? counterexample;
            string text = parse.GetValue(token)!;
            if (Checking.Exhaustive.ExhaustiveToken.Looks(text))
                counterexample = ExhaustiveReplay.Counterexample(text, Plugins.Catalog(plugins));
            else
            {
                MatrixCell cell;
                Patching.PatcherInfo patcher;
                try
                {
                    var parsed = ReplayToken.Parse(text);
                    var catalog = Plugins.Catalog(plugins);
                    cell = MatrixCampaign.Replay(parsed, catalog, LayoutsFrom.Load(parse.GetValue(layoutsFrom)));
                    patcher = Checking.Tokens.TokenPatcher.Find(parsed.Patcher, parsed.Plugin, catalog);
                }
                catch (ArgumentException e) { throw new UsageException(e.Message); }
                counterexample = MatrixCounterexample.Of(cell, patcher);
            }
            if (counterexample is null)
            {
                Console.WriteLine($"{text}: the case passes now; there is no counterexample to explain (was the token made by another version?)");
                return Cli.Failed;
            }
            var timeline = Timeline.Build(counterexample);
            Console.Write(TimelineText.Render(timeline));
            if (parse.GetValue(html) is { } htmlFile)
            {
                OutputPath.Write("--html", htmlFile, TimelineHtml.Render(timeline));
                Console.WriteLine($"HTML timeline: {htmlFile.FullName}");
            }
            if (parse.GetValue(json) is { } jsonFile)
            {
                OutputPath.Write("--json", jsonFile, TraceJson.Render(timeline));
                Console.WriteLine($"JSON trace: {jsonFile.FullName}");
            }
            return Cli.Ok;
        });
        return command;
    }
}
