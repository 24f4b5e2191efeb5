using System.Text.Json;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary><c>check --mutants</c> as a user runs it: the table per mutant, the kill score, the JSON (which fits spec/mutants-report.schema.json) and the exit code.</summary>
public class MutantsCliTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args) => Support.CliProcess.Run(args);

    [Fact]
    public void Check_mutants_reports_kills_out_of_reach_and_the_score_and_exits_0_when_all_are_killed()
    {
        using var file = new TempFile();
        using var junit = new TempFile();
        var (exit, output, error) = Run("check", "--mutants", "--mutant", "mutant-text-poke-bp-no-sync2", "--mutant", "mutant-text-poke-bp-no-text-mutex",
            "--model", "block16", "--runs", "20", "--json", file, "--junit", junit);
        Assert.True(exit == 0, output + error);
        Assert.Contains("mutant-text-poke-bp-no-sync2 (killed)", output);
        Assert.Contains("exhaustive out of reach: a concurrent patch: the exhaustive scenario has one writer", output);
        Assert.Contains("Kill score: 2/2 mutants killed", output);
        string text = File.ReadAllText(file);
        ReportSchemas.AssertValidAndDamageRejected(ReportSchemas.Load("mutants-report.schema.json"), text,
            ("no score", d => d.AsObject().Remove("killed"), "$: the required field 'killed' is missing"),
            ("a cell without its random search", d => d["mutants"]![0]!["cells"]![0]!.AsObject().Remove("random"), "$.mutants[0].cells[0]: the required field 'random' is missing"),
            ("an unknown field", d => d["mutants"]![0]!["cells"]![0]!["exhaustive"]!["runs"] = 3, "$.mutants[0].cells[0].exhaustive: the field 'runs' is not in the schema"),
            ("an unknown outcome", d => d["mutants"]![0]!["cells"]![0]!["exhaustive"]!["outcome"] = "found", "$.mutants[0].cells[0].exhaustive.outcome: is \"found\", expected one of"),
            ("another report", d => d["report"] = "check", "$.report: is \"check\", expected \"mutants\""),
            ("negative cases", d => d["mutants"]![0]!["cells"]![0]!["random"]!["cases"] = -1, "$.mutants[0].cells[0].random.cases: is -1, below the minimum 0"));
        using var json = JsonDocument.Parse(text);
        var mutants = json.RootElement.GetProperty("mutants").EnumerateArray().ToArray();
        Assert.Equal(2, mutants.Length);
        var noSync2 = mutants.Single(m => m.GetProperty("name").GetString() == "mutant-text-poke-bp-no-sync2");
        Assert.True(noSync2.GetProperty("killed").GetBoolean());
        var cell = noSync2.GetProperty("cells").EnumerateArray().Single();
        Assert.Equal("block16", cell.GetProperty("model").GetString());
        Assert.Equal("P1-old-new-or-trap", cell.GetProperty("random").GetProperty("property").GetString());
        Assert.True(cell.GetProperty("random").GetProperty("cases").GetInt32() > 0);
        Assert.Equal("P1-old-new-or-trap", cell.GetProperty("exhaustive").GetProperty("property").GetString());
        var mutex = mutants.Single(m => m.GetProperty("name").GetString() == "mutant-text-poke-bp-no-text-mutex");
        Assert.Equal("out-of-reach", mutex.GetProperty("cells")[0].GetProperty("exhaustive").GetProperty("outcome").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("killed").GetInt32());

        // JUnit: a passing case per mutant and model, saying how it was killed, with the random search's replay command.
        var suite = System.Xml.Linq.XDocument.Load(junit.Path).Root!.Element("testsuite")!;
        var cases = suite.Elements("testcase").ToArray();
        Assert.Equal(["mutant-text-poke-bp-no-sync2", "mutant-text-poke-bp-no-text-mutex"], cases.Select(c => (string?)c.Attribute("classname")));
        Assert.All(cases, c => Assert.Equal("block16", (string?)c.Attribute("name")));
        Assert.Equal(0, (int)suite.Attribute("failures")!);
        Assert.Contains($"replay {cell.GetProperty("random").GetProperty("replay").GetString()}", cases[0].Element("system-out")!.Value);
        Assert.Contains("exhaustive mode: out of reach (rejected): a concurrent patch", cases[1].Element("system-out")!.Value);
    }

    [Fact]
    public void A_mutant_that_survives_the_budget_makes_exit_code_1()
    {
        // 25 random cases and one exhaustive execution are too few to find no-sync1 under block16 at the default seed.
        using var junit = new TempFile();
        var (exit, output, error) = Run("check", "--mutants", "--mutant", "mutant-text-poke-bp-no-sync1", "--model", "block16", "--runs", "1", "--max-executions", "1", "--junit", junit);
        Assert.True(exit == 1, output + error);
        Assert.Contains("Kill score: 0/1 mutants killed", output);
        // The survivor is the JUnit failure, with both searches' results.
        var failure = System.Xml.Linq.XDocument.Load(junit.Path).Root!.Element("testsuite")!.Element("testcase")!.Element("failure")!;
        Assert.StartsWith("not killed: random search survived 25 case(s); exhaustive mode survived: incomplete, 1 executions", (string?)failure.Attribute("message"));
        Assert.Contains("survived: mutant-text-poke-bp-no-sync1", output);
    }

    [Theory]
    [InlineData("check --mutants --patcher text-poke-bp", "--patcher has no meaning with --mutants")]
    [InlineData("check --mutants --sites 2", "--sites has no meaning with --mutants")]
    [InlineData("check --mutant mutant-text-poke-bp-no-sync1", "--mutant belongs to --mutants: add --mutants")]
    [InlineData("check --mutants --mutant nope", "--mutant: unknown mutant 'nope'")]
    public void Bad_usage_is_one_line_and_exit_code_2(string line, string message)
    {
        var (exit, _, error) = Run(line.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void List_does_not_show_the_mutants()
    {
        var (exit, output, error) = Run("list");
        Assert.True(exit == 0, error);
        Assert.Contains("text-poke-bp", output);
        Assert.DoesNotContain("mutant-", output);
    }
}
