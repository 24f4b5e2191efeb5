using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// One small campaign run once as a CI job runs it: output redirected, no <c>NO_COLOR</c>, no
/// <c>CI</c>, <c>GITHUB_ACTIONS=true</c>, with <c>--json FILE</c> and <c>--junit FILE</c>; and once
/// with <c>--json -</c>. Chosen to hold a cell that fails as history expects (naive-text-poke), cells
/// that pass, and cells that disagree (stub-per-call-sti's NMI row, whose counterexample 50 cases do
/// not find), so every kind of JUnit element and annotation is written.
/// </summary>
public sealed class MachineReportRun : IDisposable
{
    public static readonly string[] Campaign =
        ["check", "--patcher", "naive-text-poke", "--patcher", "text-poke-bp", "--patcher", "stub-per-call-sti", "--model", "atomic", "--model", "block16",
         "--runs", "2", "--seed", "7", "--emulator-runs", "1"];

    public static readonly Dictionary<string, string> CiEnvironment = new() { ["NO_COLOR"] = "", ["CI"] = "", ["GITHUB_ACTIONS"] = "true" };

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("reports").FullName;
    public string JsonPath => Path.Combine(Directory, "check.json");
    public string JunitPath => Path.Combine(Directory, "check.xml");
    public (int Exit, string Out, string Err) Files { get; }
    public (int Exit, string Out, string Err) Stdout { get; }
    /// <summary><c>--json -</c> in GitHub Actions: the annotations go to standard error with the rest a person reads.</summary>
    public (int Exit, string Out, string Err) StdoutInActions { get; }

    public MachineReportRun()
    {
        Files = CliProcess.Run(CiEnvironment, [.. Campaign, "--json", JsonPath, "--junit", JunitPath]);
        Stdout = CliProcess.Run(new Dictionary<string, string> { ["NO_COLOR"] = "", ["CI"] = "" }, [.. Campaign, "--json", "-"]);
        StdoutInActions = CliProcess.Run(CiEnvironment, [.. Campaign, "--json", "-"]);
    }

    public JsonElement Json => JsonDocument.Parse(File.ReadAllText(JsonPath)).RootElement;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// Reports for machines (spec/reports.md): the JSON validates against spec/check-report.schema.json
/// and its summary is its cells', the JUnit XML reads back with a test case per cell and a failure
/// per disagreeing cell, GitHub gets an annotation per disagreeing cell, <c>--json -</c> leaves
/// standard output to the JSON, and nothing written to a pipe has an escape code.
/// </summary>
public class MachineReportTests(MachineReportRun run) : IClassFixture<MachineReportRun>
{
    private static JsonSchemaSubset Schema => JsonSchemaSubset.Load(Path.Combine(AppContext.BaseDirectory, "Spec", "check-report.schema.json"));

    [Fact]
    public void The_campaign_ran_and_has_a_disagreeing_cell()
    {
        Assert.True(File.Exists(run.JsonPath), run.Files.Err);
        var summary = run.Json.GetProperty("summary");
        Assert.True(summary.GetProperty("disagreeing").GetInt32() >= 1, "the campaign was chosen to hold a disagreeing cell; choose another if stub-per-call-sti's NMI row now fails in 50 cases");
        Assert.Equal(1, run.Files.Exit);
        Assert.Equal(run.Files.Exit, summary.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void Check_json_validates_against_the_schema()
    {
        Assert.Empty(Schema.Validate(run.Json));
    }

    public static TheoryData<string, string> Damage => new()
    {
        { "delete summary", "$: the required field 'summary' is missing" },
        { "delete matrix[0].casesChecked", "$.matrix[0]: the required field 'casesChecked' is missing" },
        { "matrix[0].verdict=maybe", "$.matrix[0].verdict: is \"maybe\", expected one of" },
        { "format=1", "$.format: is 1, expected 3" },
        { "summary.cells=-1", "$.summary.cells: is -1, below the minimum 0" },
        { "matrix[0].runs=4", "$.matrix[0]: the field 'runs' is not in the schema" },
        { "tool=\"x\"", "$.tool: is a string, expected object" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void A_damaged_report_is_rejected_by_the_schema(string change, string says)
    {
        var doc = JsonNode.Parse(File.ReadAllText(run.JsonPath))!;
        var cell = doc["matrix"]![0]!.AsObject();
        switch (change)
        {
            case "delete summary": doc.AsObject().Remove("summary"); break;
            case "delete matrix[0].casesChecked": cell.Remove("casesChecked"); break;
            case "matrix[0].verdict=maybe": cell["verdict"] = "maybe"; break;
            case "format=1": doc["format"] = 1; break;
            case "summary.cells=-1": doc["summary"]!["cells"] = -1; break;
            case "matrix[0].runs=4": cell["runs"] = 4; break;
            case "tool=\"x\"": doc["tool"] = "x"; break;
            default: throw new ArgumentException(change);
        }
        var errors = Schema.Validate(JsonDocument.Parse(doc.ToJsonString()).RootElement);
        Assert.Contains(errors, e => e.StartsWith(says, StringComparison.Ordinal));
    }

    [Fact]
    public void A_schema_with_a_keyword_the_validator_does_not_read_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new JsonSchemaSubset(JsonDocument.Parse("""{"type":"object","properties":{"a":{"pattern":"x"}}}""").RootElement));
        Assert.Contains("'pattern'", e.Message);
    }

    [Fact]
    public void The_summary_counts_the_cells_and_the_header_names_the_run()
    {
        var json = run.Json;
        var matrix = json.GetProperty("matrix").EnumerateArray().ToArray();
        var s = json.GetProperty("summary");
        int Count(Func<JsonElement, bool> f) => matrix.Count(f);
        bool B(JsonElement c, string name) => c.GetProperty(name).GetBoolean();
        Assert.Equal(matrix.Length, s.GetProperty("cells").GetInt32());
        Assert.Equal(Count(c => B(c, "open")), s.GetProperty("open").GetInt32());
        Assert.Equal(Count(c => !B(c, "open") && !B(c, "agrees")), s.GetProperty("disagreeing").GetInt32());
        Assert.Equal(matrix.Length, s.GetProperty("agreeing").GetInt32() + s.GetProperty("disagreeing").GetInt32() + s.GetProperty("open").GetInt32() + s.GetProperty("undecided").GetInt32());
        var emulator = s.GetProperty("emulator");
        Assert.True(emulator.GetProperty("checked").GetBoolean());
        Assert.Equal(json.GetProperty("emulator").GetArrayLength(), emulator.GetProperty("families").GetInt32());
        Assert.Equal(3, json.GetProperty("format").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("tool").GetProperty("version").GetString()));
        var options = json.GetProperty("options");
        Assert.Equal(["naive-text-poke", "text-poke-bp", "stub-per-call-sti"], options.GetProperty("patchers").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(7UL, options.GetProperty("seed").GetUInt64());
        Assert.Equal("uniform-random", json.GetProperty("strategy").GetString());
        foreach (var c in matrix)
            if (c.GetProperty("verdict").GetString() == "fail")
                Assert.Equal(c.GetProperty("casesChecked").GetInt32(), c.GetProperty("casesToFirstFailure").GetInt32());
            else
                Assert.Equal(JsonValueKind.Null, c.GetProperty("casesToFirstFailure").ValueKind);
    }

    [Fact]
    public void Without_the_emulator_check_the_summary_says_it_was_not_checked()
    {
        string path = Path.Combine(run.Directory, "no-emulator.json");
        var (exit, _, error) = CliProcess.Run("check", "--patcher", "text-poke-bp", "--model", "atomic", "--runs", "2", "--emulator-runs", "0", "--json", path);
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.Empty(Schema.Validate(json));
        Assert.Equal(0, json.GetProperty("emulator").GetArrayLength());
        Assert.False(json.GetProperty("summary").GetProperty("emulator").GetProperty("checked").GetBoolean());
        Assert.Equal(0, json.GetProperty("options").GetProperty("emulatorRuns").GetInt32());
    }

    [Fact]
    public void Junit_has_a_test_case_per_cell_and_a_failure_per_disagreeing_cell_with_its_replay_command()
    {
        var xml = XDocument.Load(run.JunitPath);
        var json = run.Json;
        var matrix = json.GetProperty("matrix").EnumerateArray().ToArray();
        var suite = xml.Root!.Elements("testsuite").Single(s => (string?)s.Attribute("name") == "verdict matrix");
        var cases = suite.Elements("testcase").ToArray();
        Assert.Equal(matrix.Length, cases.Length);
        Assert.Equal(matrix.Length, (int)suite.Attribute("tests")!);
        for (int i = 0; i < matrix.Length; i++)
        {
            Assert.Equal(matrix[i].GetProperty("patcher").GetString(), (string?)cases[i].Attribute("classname"));
            Assert.StartsWith(matrix[i].GetProperty("model").GetString()!, (string?)cases[i].Attribute("name"));
        }
        var failures = cases.Select(c => c.Element("failure")).OfType<XElement>().ToArray();
        Assert.Equal(json.GetProperty("summary").GetProperty("disagreeing").GetInt32(), failures.Length);
        Assert.Equal(failures.Length, (int)suite.Attribute("failures")!);
        Assert.All(failures, f => Assert.False(string.IsNullOrWhiteSpace((string?)f.Attribute("message"))));
        // A counterexample's replay command is in the report: in a failure when it disagrees, else in the passing case's output.
        foreach (var (cell, element) in matrix.Zip(cases))
            if (cell.GetProperty("replay").GetString() is { } token)
                Assert.Contains($"replay {token}", element.Value);
        Assert.Equal(json.GetProperty("emulator").GetArrayLength(), xml.Root.Elements("testsuite").Single(s => (string?)s.Attribute("name") == "emulator vs Iced").Elements("testcase").Count());
    }

    [Fact]
    public void GitHub_gets_an_error_annotation_per_disagreeing_cell()
    {
        var annotations = run.Files.Out.Split('\n').Where(l => l.StartsWith("::error title=", StringComparison.Ordinal)).ToArray();
        var disagreeing = run.Json.GetProperty("matrix").EnumerateArray().Where(c => !c.GetProperty("agrees").GetBoolean() && !c.GetProperty("open").GetBoolean()).ToArray();
        Assert.Equal(disagreeing.Length, annotations.Length);
        foreach (var (cell, line) in disagreeing.Zip(annotations))
            Assert.StartsWith($"::error title={cell.GetProperty("patcher").GetString()} / {cell.GetProperty("model").GetString()}", line);
        Assert.DoesNotContain("::error", run.Stdout.Err);   // without GITHUB_ACTIONS=true, none
    }

    [Fact]
    public void With_json_to_dash_in_GitHub_Actions_the_annotations_go_to_standard_error_and_the_json_stays_whole()
    {
        var (exit, output, error) = run.StdoutInActions;
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Empty(Schema.Validate(doc.RootElement));
        Assert.DoesNotContain("::error", output);
        var annotations = error.Split('\n').Where(l => l.StartsWith("::error title=", StringComparison.Ordinal)).ToArray();
        Assert.Equal(doc.RootElement.GetProperty("summary").GetProperty("disagreeing").GetInt32(), annotations.Length);
        Assert.NotEmpty(annotations);
    }

    [Fact]
    public void Json_to_dash_leaves_standard_output_to_the_json()
    {
        var (exit, output, error) = run.Stdout;
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);   // the whole of standard output is the document
        Assert.Empty(Schema.Validate(doc.RootElement));
        Assert.Contains("Verdict matrix", error);
        Assert.Contains("naive-text-poke", error);
        Assert.Equal(File.ReadAllText(run.JsonPath), output);
    }

    [Fact]
    public void Piped_output_has_no_escape_codes_and_marks_disagreeing_cells_in_text()
    {
        Assert.DoesNotContain("\u001b[", run.Files.Out);
        Assert.DoesNotContain("\u001b[", run.Files.Err);
        Assert.DoesNotContain("\u001b[", run.Stdout.Err);
        Assert.Contains(" !", run.Files.Out);
        Assert.Contains("!: disagrees with history", run.Files.Out);
    }
}
