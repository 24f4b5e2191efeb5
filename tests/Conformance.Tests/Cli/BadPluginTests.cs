using System.Text.Json;
using Conformance.BadPlugins;
using Conformance.Cli;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// One <c>check</c> and two <c>list</c>s of tests/Conformance.BadPlugins through the real command
/// line, as a user runs them (the plug-ins in worker processes): small runs and a 2 s timeout, so
/// every fault is met in seconds; and one <c>check</c> of the plug-in that allocates without bound,
/// under a small memory limit and a long timeout (on a loaded machine, touching the memory takes time).
/// </summary>
public sealed class BadPluginRun : IDisposable
{
    public const int Runs = 4;
    public static string Plugin => typeof(Good).Assembly.Location;

    /// <summary>Two built-ins, the good plug-ins, and every plug-in that fails while it runs (and one that fails to load).</summary>
    public static readonly string[] Patchers =
    [
        "text-poke-bp", "naive-text-poke", "bad-plugins-good", "bad-plugins-torn", "duplicate-name",
        "throwing-accepts", "throwing-steps", "throwing-wait-until", "throwing-on-breakpoint",
        "loops-in-accepts", "loops-in-steps", "loops-in-wait-until", "loops-in-on-breakpoint",
        "allocates-without-bound", "overflows-the-stack", "fails-fast", "Conformance.BadPlugins.NullName",
    ];

    public static readonly string[] Limits = ["--plugin-timeout", "2"];

    /// <summary>Makes <see cref="HangingConstructor"/> hang (only the runs that test it pay its timeout).</summary>
    public static readonly Dictionary<string, string> HangingConstructor = new() { ["CONFORMANCE_BAD_PLUGIN_HANG"] = "1" };

    private readonly string _json = Path.GetTempFileName();

    public BadPluginRun()
    {
        // Four independent runs, at once: most of their time is spent waiting for timeouts.
        var check = Task.Run(() => CliProcess.Run(HangingConstructor, ["check", "--plugin", Plugin, .. Patchers.SelectMany(p => new[] { "--patcher", p }), "--model", "atomic",
            "--runs", Runs.ToString(), "--emulator-runs", "0", "--threads", "2", .. Limits, "--json", _json]));
        var list = Task.Run(() => CliProcess.Run(HangingConstructor, ["list", "--json", "--plugin", Plugin, .. Limits]));
        var listText = Task.Run(() => CliProcess.Run(HangingConstructor, ["list", "--plugin", Plugin, .. Limits]));
        var memory = Task.Run(() => CliProcess.Run(["check", "--plugin", Plugin, "--patcher", "allocates-without-bound", "--patcher", "bad-plugins-good", "--model", "atomic",
            "--runs", "1", "--emulator-runs", "0", "--plugin-timeout", "120", "--plugin-memory", "128"]));
        (Check, List, ListText, Memory) = (check.Result, list.Result, listText.Result, memory.Result);
        Report = File.Exists(_json) && new FileInfo(_json).Length > 0 ? CheckReport.Read(_json) : null;
    }

    public (int Exit, string Out, string Err) Check { get; }
    public (int Exit, string Out, string Err) Memory { get; }
    public CheckReport? Report { get; }
    public (int Exit, string Out, string Err) List { get; }
    public (int Exit, string Out, string Err) ListText { get; }

    public CellReport Cell(string patcher)
    {
        Assert.True(Report is not null, $"check wrote no JSON (exit {Check.Exit}): {Check.Err}");
        return Assert.Single(Report!.Matrix, c => c.Patcher == patcher);
    }

    public void Dispose() => File.Delete(_json);
}

/// <summary>
/// Every fault of a plug-in is one line naming it (name, assembly, type), the member and the cause;
/// the run survives it, exits 1, and every other cell, built-in or plug-in, keeps its result in the
/// table and the JSON. A plug-in that hangs, grows without bound or crashes the runtime is stopped
/// in its worker process and reported as its cell's result.
/// </summary>
public class BadPluginTests(BadPluginRun run) : IClassFixture<BadPluginRun>
{
    private const string Dll = "Conformance.BadPlugins.dll";

    [Fact]
    public void The_run_survives_every_fault_exits_1_and_keeps_every_other_cell()
    {
        Assert.Equal(1, run.Check.Exit);
        Assert.Equal(BadPluginRun.Patchers.Length, run.Report!.Matrix.Count);
        foreach (var p in BadPluginRun.Patchers) Assert.Contains(p, run.Check.Out);   // a row in the table for each
        foreach (var (patcher, verdict) in new[] { ("text-poke-bp", "pass"), ("naive-text-poke", "fail"), ("bad-plugins-good", "pass"), ("bad-plugins-torn", "fail"), ("duplicate-name", "pass") })
        {
            var cell = run.Cell(patcher);
            Assert.Equal(verdict, cell.Verdict);
            Assert.True(cell.Agrees, $"{patcher}: {cell.Violation}");
            if (verdict == "fail") Assert.Contains($"{patcher} / atomic: P1-old-new-or-trap violated", run.Check.Out);
        }
        Assert.Contains("cells disagree with their expectations", run.Check.Out);
    }

    [Theory]
    [InlineData("throwing-accepts", "ThrowingAccepts", "threw ArgumentOutOfRangeException in Accepts(site): accepts nothing")]
    [InlineData("loops-in-accepts", "LoopsInAccepts", "did not finish within 2 s (wall time) in Accepts(site)")]
    [InlineData("loops-in-steps", "LoopsInSteps", "did not finish within 2 s (wall time) in Steps (producing step 1)")]
    [InlineData("loops-in-wait-until", "LoopsInWaitUntil", "did not finish within 2 s (wall time) in a WaitUntil condition (step 1)")]
    [InlineData("loops-in-on-breakpoint", "LoopsInOnBreakpoint", "did not finish within 2 s (wall time) in OnBreakpoint")]
    [InlineData("overflows-the-stack", "OverflowsTheStack", "crashed its worker process in Steps (producing step 1): stack overflow (exit code 134)")]
    [InlineData("fails-fast", "FailsFast", "crashed its worker process in OnBreakpoint: Environment.FailFast(\"the plug-in gave up\") (exit code 134)")]
    public void A_plugin_that_cannot_be_run_is_its_cells_error_naming_it_the_member_and_the_cause(string patcher, string type, string cause)
    {
        var cell = run.Cell(patcher);
        Assert.Equal("error", cell.Verdict);
        Assert.Equal("plugin-error", cell.Property);
        Assert.False(cell.Agrees);
        Assert.Null(cell.Replay);
        string message = $"{patcher} ({Dll}: Conformance.BadPlugins.{type}) {cause}";
        Assert.StartsWith(message, cell.Violation);
        Assert.DoesNotContain('\n', cell.Violation!);
        Assert.Contains($"{patcher} / atomic: plugin-error: {message}", run.Check.Out);
    }

    [Fact]
    public void Unbounded_memory_is_stopped_in_the_member_that_takes_it_and_the_other_cell_survives()
    {
        Assert.True(run.Memory.Exit == 1, run.Memory.Out + run.Memory.Err);
        Assert.Contains($"allocates-without-bound / atomic: plugin-error: allocates-without-bound ({Dll}: Conformance.BadPlugins.AllocatesWithoutBound) exceeded 128 MB", run.Memory.Out);
        Assert.True(run.Memory.Out.Contains("in Steps (producing step 1)"), run.Memory.Out + run.Memory.Err);
        Assert.Contains("1 of 2 cells disagree", run.Memory.Out);   // bad-plugins-good passed beside it
    }

    [Fact]
    public void A_plugin_that_did_not_load_is_an_error_cell_by_its_type()
    {
        var cell = run.Cell("Conformance.BadPlugins.NullName");
        Assert.Equal("error", cell.Verdict);
        Assert.Equal($"{Dll}: Conformance.BadPlugins.NullName returned null from Name", cell.Violation);
    }

    /// <summary>A throw while the patcher runs on the machine is what the run found: a failing case, shrunk, with its token.</summary>
    [Theory]
    [InlineData("throwing-steps", "ThrowingSteps", "threw InvalidOperationException in Steps (producing step 2): steps boom")]
    [InlineData("throwing-wait-until", "ThrowingWaitUntil", "threw InvalidOperationException in a WaitUntil condition (step 1): condition boom")]
    [InlineData("throwing-on-breakpoint", "ThrowingOnBreakpoint", "threw NullReferenceException in OnBreakpoint: handler boom")]
    public void A_plugin_that_throws_while_it_runs_fails_its_cell_with_a_token(string patcher, string type, string cause)
    {
        var cell = run.Cell(patcher);
        Assert.Equal("fail", cell.Verdict);
        Assert.False(cell.Agrees);   // it declares nothing, so it is expected to pass
        Assert.Contains($"{patcher} ({Dll}: Conformance.BadPlugins.{type}) {cause}", cell.Violation);
        Assert.StartsWith($"{ReplayToken.Version}:{patcher}:", cell.Replay);
        if (patcher == "throwing-on-breakpoint") return;   // its handler's throw faults the visiting CPU: the visit's P2 comes first
        // The patcher's own throw is its error; the table's cell says it in words, never a name cut in the middle ("fail pa").
        Assert.Equal(Conformance.Checking.Violation.PatcherError, cell.Property);
        Assert.Contains($"{patcher} / atomic: {Conformance.Checking.Violation.PatcherError} ", run.Check.Out);
        Assert.Equal("patcher error", Conformance.Reporting.PropertyLabel.Short(cell.Property));
        Assert.DoesNotMatch(@"fail pa\s*[│|\n]", run.Check.Out);
    }

    /// <summary>The worker is a place, not a change: a well-behaved plug-in's cell is what it is in process, guarded or not.</summary>
    [Theory]
    [InlineData(typeof(Good))]
    [InlineData(typeof(GoodButTorn))]
    public void A_well_behaved_plugins_cell_from_the_worker_equals_the_in_process_one(Type type)
    {
        var (described, fault) = PatcherRegistry.DescribePlugin(type);
        Assert.Null(fault);
        var guarded = described! with { Plugin = BadPluginRun.Plugin };   // the path as the command line was given it: the token names it
        var unguarded = guarded with { IsPlugin = false, Origin = null };
        var fromWorker = run.Cell(guarded.Name);
        foreach (var info in new[] { guarded, unguarded })
        {
            var cell = MatrixCampaign.RunCell(info, FetchModelRegistry.Get("atomic"), false, BadPluginRun.Runs, PropertySettings.DefaultSeed, maxCpus: 4,
                failRuns: BadPluginRun.Runs * 25, search: ScheduleSearch.Get(ScheduleSearch.DefaultName));
            var inProcess = CellOutcome.Of(cell).WithProof(CellProof.Run(info, FetchModelRegistry.Get("atomic"), false));   // check runs the cell's bounded proof too
            Assert.Equal(inProcess.Report, fromWorker);
            if (inProcess.Line is { } line) Assert.Contains(line, run.Check.Out);
        }
        if (type == typeof(GoodButTorn)) Assert.NotNull(fromWorker.Replay);   // a counterexample, shrunk and tokened in the worker
    }

    [Fact]
    public void List_shows_the_good_patchers_and_a_line_per_bad_one()
    {
        Assert.Equal(1, run.List.Exit);
        using var json = JsonDocument.Parse(run.List.Out);
        var names = json.RootElement.GetProperty("patchers").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
        foreach (var good in new[] { "text-poke-bp", "bad-plugins-good", "bad-plugins-torn", "duplicate-name", "loops-in-steps", "fails-fast" })
            Assert.Contains(good, names);
        var errors = json.RootElement.GetProperty("pluginErrors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("type").GetString()!, e => (Member: e.GetProperty("member").GetString(), Message: e.GetProperty("message").GetString()!));
        var expected = new Dictionary<string, (string Member, string Message)>
        {
            ["ThrowingConstructor"] = ("Constructor", $"{Dll}: Conformance.BadPlugins.ThrowingConstructor threw InvalidOperationException in the constructor: constructor says no"),
            ["HangingConstructor"] = ("Constructor", $"{Dll}: Conformance.BadPlugins.HangingConstructor did not finish within 2 s (wall time) in the constructor"),
            ["NullName"] = ("Name", $"{Dll}: Conformance.BadPlugins.NullName returned null from Name"),
            ["EmptyName"] = ("Name", $"{Dll}: Conformance.BadPlugins.EmptyName returned an empty name from Name"),
            ["DuplicateNameB"] = ("Name", $"{Dll}: Conformance.BadPlugins.DuplicateNameB returned 'duplicate-name' from Name: {Dll}: Conformance.BadPlugins.DuplicateNameA has that name already"),
            ["BuiltInName"] = ("Name", $"{Dll}: Conformance.BadPlugins.BuiltInName returned 'text-poke-bp' from Name: the built-in TextPokeBp has that name already"),
            ["ThrowingExpectations"] = ("Expectations", $"throwing-expectations ({Dll}: Conformance.BadPlugins.ThrowingExpectations) threw NotSupportedException in Expectations: expectations unavailable"),
            ["NullDescription"] = ("Description", $"null-description ({Dll}: Conformance.BadPlugins.NullDescription) returned null from Description"),
            ["NullHoldingInstructions"] = ("HoldingInstructions", $"null-holding-instructions ({Dll}: Conformance.BadPlugins.NullHoldingInstructions) returned null from HoldingInstructions"),
        };
        Assert.Equal(expected.Keys.Select(k => $"Conformance.BadPlugins.{k}").Order(), errors.Keys.Order());
        foreach (var (type, (member, message)) in expected)
        {
            var error = errors[$"Conformance.BadPlugins.{type}"];
            Assert.Equal(member, error.Member);
            Assert.StartsWith(message, error.Message);
        }
    }

    /// <summary>A null name, an empty one, a throwing member: the table is still drawn (Spectre's markup never sees a null).</summary>
    [Fact]
    public void List_as_a_table_survives_a_null_name()
    {
        Assert.Equal(1, run.ListText.Exit);
        Assert.Contains($"plugin-error {Dll}: Conformance.BadPlugins.NullName returned null from Name", run.ListText.Out);
        Assert.Contains("bad-plugins-good (plug-in)", run.ListText.Out);
        Assert.Contains("9 plug-in patcher(s) did not load", run.ListText.Out);
        Assert.Contains("Instruction families", run.ListText.Out);
    }

    /// <summary>replay of a plug-in's case runs in a worker too: its output comes back; a crash is one line and exit 1.</summary>
    [Fact]
    public void Replay_of_a_plugins_case_runs_in_a_worker_and_survives_its_crash()
    {
        string token = run.Cell("throwing-steps").Replay!;
        var replay = CliProcess.Run(["replay", token, "--plugin", BadPluginRun.Plugin, .. BadPluginRun.Limits]);
        Assert.True(replay.Exit == 1, replay.Out + replay.Err);
        Assert.True(replay.Out.Contains("threw InvalidOperationException in Steps (producing step 2): steps boom"), replay.Out + replay.Err);

        var crash = CliProcess.Run(new Dictionary<string, string> { ["CONFORMANCE_BAD_PLUGIN_CRASH"] = "1" },
            ["replay", token, "--plugin", BadPluginRun.Plugin, .. BadPluginRun.Limits]);
        Assert.Equal(1, crash.Exit);
        var line = Assert.Single(crash.Err.Trim().Split('\n'));
        Assert.Contains("plugin-error:", line);
        Assert.Contains("crashed its worker process in Steps (producing step 2): Environment.FailFast(\"asked to crash\")", line);
    }

    [Fact]
    public void Exhaustive_check_runs_plugins_in_workers_and_keeps_the_good_ones_results()
    {
        using var file = new TempFile();
        using var junit = new TempFile();
        var (exit, output, error) = CliProcess.Run(["check", "--exhaustive", "--preemptions", "1", "--plugin", BadPluginRun.Plugin,
            "--patcher", "bad-plugins-good", "--patcher", "loops-in-steps", "--patcher", "Conformance.BadPlugins.ThrowingConstructor",
            "--model", "atomic", .. BadPluginRun.Limits, "--json", file, "--junit", junit]);
        Assert.True(exit == 1, output + error);
        Assert.Contains("bad-plugins-good / atomic: verified", output);
        Assert.Contains($"loops-in-steps / atomic: plugin-error: loops-in-steps ({Dll}: Conformance.BadPlugins.LoopsInSteps) did not finish within 2 s (wall time) in Steps", output);
        Assert.Contains($"Conformance.BadPlugins.ThrowingConstructor / atomic: plugin-error: {Dll}: Conformance.BadPlugins.ThrowingConstructor threw InvalidOperationException in the constructor", output);
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var outcomes = json.RootElement.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("patcher").GetString()!, r => r.GetProperty("outcome").GetString());
        Assert.Equal("verified", outcomes["bad-plugins-good"]);
        Assert.Equal("error", outcomes["loops-in-steps"]);
        Assert.Equal("error", outcomes["Conformance.BadPlugins.ThrowingConstructor"]);
        // A cell with no result fits the schema too, and is a JUnit error naming the fault.
        Assert.Empty(ReportSchemas.Load("exhaustive-report.schema.json").Validate(json.RootElement));
        var cases = System.Xml.Linq.XDocument.Load(junit.Path).Root!.Element("testsuite")!.Elements("testcase")
            .ToDictionary(c => (string)c.Attribute("classname")!);
        Assert.Null(cases["bad-plugins-good"].Element("error"));
        Assert.Contains("did not finish within 2 s", (string?)cases["loops-in-steps"].Element("error")!.Attribute("message"));
        Assert.Contains("threw InvalidOperationException in the constructor", (string?)cases["Conformance.BadPlugins.ThrowingConstructor"].Element("error")!.Attribute("message"));
    }

    [Theory]
    [InlineData("check --plugin-timeout 0", "--plugin-timeout 0")]
    [InlineData("check --plugin-timeout abc", "--plugin-timeout")]
    [InlineData("list --plugin-memory 10", "--plugin-memory 10")]
    public void Bad_plugin_limits_are_usage_errors(string args, string named)
    {
        var (exit, _, error) = CliProcess.Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}

/// <summary>The supervisor tells a busy worker from a silent one (its own class: it mostly sleeps, beside the others).</summary>
public class SlowReaderTests
{
    /// <summary>
    /// A worker whose output waits for a slow reader (a pipe full) is busy, not silent: it is not
    /// stopped (its heartbeats do not go through the pipe). The replay's trace is longer than a pipe holds.
    /// </summary>
    [Fact]
    public void A_worker_whose_output_waits_for_a_slow_reader_is_not_stopped()
    {
        string mutants = typeof(Patching.Mutants.TextPokeBpWithoutSync1).Assembly.Location;
        var check = CliProcess.Run(["check", "--plugin", mutants, "--patcher", "mutant-text-poke-bp-no-sync1", "--model", "block16", "--runs", "50", "--emulator-runs", "0"]);
        string replay = check.Out.Split('\n').Single(l => l.Contains("| replay "))[(check.Out.Split('\n').Single(l => l.Contains("| replay ")).IndexOf("| replay ", StringComparison.Ordinal) + 2)..].Trim();
        // Silence is stopped after 1 + 5 s; the reader sleeps 14 s before it reads anything (the replay itself takes a few).
        var slow = CliProcess.RunPasted($"{replay} --plugin-timeout 1 | (sleep 14; cat)");
        Assert.True(slow.Out.Contains("the same case as a timeline"), slow.Err);
        Assert.True(slow.Out.Length > 128 * 1024, $"the trace ({slow.Out.Length} characters) no longer fills a pipe: the test proves nothing");
        Assert.DoesNotContain("plugin-error", slow.Err);
    }

}
