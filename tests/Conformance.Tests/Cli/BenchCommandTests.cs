using System.Text.Json;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// <c>bench</c> works end to end on a tiny fixed version (one row, two seeds, short rounds): the
/// tables print and the JSON has every figure and fits spec/bench-report.schema.json. The figures
/// themselves are measurements, not tested.
/// </summary>
public class BenchCommandTests
{
    [Fact]
    public void A_tiny_bench_prints_the_tables_and_writes_every_figure()
    {
        using var file = new TempFile();
        var (exit, output, error) = CliProcess.Run("bench", "--quick", "--seeds", "2", "--row", "naive-text-poke", "--json", file);
        Assert.True(exit == 0, error);
        Assert.Contains("| naive-text-poke / atomic", output);
        Assert.Contains("emulated instructions", output);
        string text = File.ReadAllText(file);
        ReportSchemas.AssertValidAndDamageRejected(ReportSchemas.Load("bench-report.schema.json"), text,
            ("no machine", d => d.AsObject().Remove("machine"), "$: the required field 'machine' is missing"),
            ("a search without cases", d => d["rows"]![0]!["strategies"]![0]!["searches"]![0]!.AsObject().Remove("cases"), "$.rows[0].strategies[0].searches[0]: the required field 'cases' is missing"),
            ("an unknown field", d => d["rates"]![0]!["runs"] = 3, "$.rates[0]: the field 'runs' is not in the schema"),
            ("an unknown strategy", d => d["rows"]![0]!["strategies"]![0]!["strategy"] = "dfs", "$.rows[0].strategies[0].strategy: is \"dfs\", expected one of"),
            ("an unknown unit", d => d["rates"]![0]!["unit"] = "seconds", "$.rates[0].unit: is \"seconds\", expected one of"),
            ("format 3", d => d["format"] = 3, "$.format: is 3, expected 2"));
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("format").GetInt32());   // the header every report has (spec/reports.md)
        Assert.Equal("bench", root.GetProperty("report").GetString());
        Assert.Equal(["naive-text-poke"], root.GetProperty("options").GetProperty("rows").EnumerateArray().Select(r => r.GetString()));
        Assert.True(root.GetProperty("machine").GetProperty("processors").GetInt32() >= 1);
        var rates = root.GetProperty("rates").EnumerateArray().ToArray();
        Assert.Contains(rates, r => r.GetProperty("unit").GetString() == "instructions");
        Assert.Contains(rates, r => r.GetProperty("unit").GetString() == "runs");
        Assert.Contains(rates, r => r.GetProperty("unit").GetString() == "cases");
        Assert.All(rates, r => Assert.True(r.GetProperty("medianPerSecond").GetDouble() > 0));
        var row = Assert.Single(root.GetProperty("rows").EnumerateArray().ToArray());
        Assert.Equal("naive-text-poke / atomic", row.GetProperty("row").GetString());
        var strategies = row.GetProperty("strategies").EnumerateArray().ToArray();
        Assert.Equal(["uniform-random", "pct"], strategies.Select(s => s.GetProperty("strategy").GetString()));
        foreach (var s in strategies)
        {
            var searches = s.GetProperty("searches").EnumerateArray().ToArray();
            Assert.Equal(2, searches.Length);
            Assert.All(searches, x => Assert.True(x.GetProperty("found").GetBoolean(), "the naive patcher tears within the cap"));
            Assert.True(s.GetProperty("medianFirstMs").GetDouble() > 0);
            Assert.True(s.GetProperty("medianShrinkMs").GetDouble() >= 0);
            Assert.True(s.GetProperty("medianCases").GetDouble() >= 1);
            if (OperatingSystem.IsLinux()) Assert.True(s.GetProperty("medianFirstCpuMs").GetDouble() > 0, "the searching thread's CPU time");
        }
    }

    [Theory]
    [InlineData("bench --seeds 0", "--seeds 0")]
    [InlineData("bench --row text-poke-bp", "--row text-poke-bp: not a known-bad row")]
    public void Bad_bench_usage_is_one_line_and_exit_code_2(string args, string named)
    {
        var (exit, _, error) = CliProcess.Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
