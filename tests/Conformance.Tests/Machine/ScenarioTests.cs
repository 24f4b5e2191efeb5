using Conformance.Machine;

namespace Conformance.Tests.Machine;

/// <summary>Every litmus scenario of spec/scenarios has exactly the outcomes its expected file lists, under every fetch model.</summary>
public class ScenarioTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "Scenarios");

    public static TheoryData<string> Scenarios() =>
        new(ScenarioDriver.ScenarioFiles(Directory).Select(Path.GetFileNameWithoutExtension).Select(n => n!));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Outcomes_match_the_expected_file(string name)
    {
        var check = ScenarioDriver.Check(Path.Combine(Directory, name + ScenarioDriver.ScenarioExtension));
        Assert.NotEmpty(check.Expected);
        Assert.True(check.Matches, $"{name}: outcomes differ from {name}.expected (- expected only, + found only):{Environment.NewLine}{check.Diff}" +
                                   $"{Environment.NewLine}If the machine is right, run: dotnet run --project src/Conformance.Cli -- scenarios --promote");
    }

    [Fact]
    public void There_are_the_scenarios_the_design_asks_for()
    {
        var names = ScenarioDriver.ScenarioFiles(Directory).Select(Path.GetFileNameWithoutExtension).ToHashSet();
        foreach (var n in new[] { "rostedt-split-sync1-missing", "rostedt-split-sync1", "rostedt-split-sync2-missing", "rostedt-split-all-syncs",
                     "int3-single-byte", "straddle16-one-store", "stale-fetch-no-serialization", "stale-fetch-ended-by-cpuid", "ipi-blocked-while-if0" })
            Assert.Contains(n, names);
    }

    /// <summary>The driver must go red when an expected file is wrong: drop a line, add a line, change a model.</summary>
    [Theory]
    [InlineData("drop")]
    [InlineData("add")]
    [InlineData("rename")]
    public void The_driver_fails_when_an_expected_file_is_wrong(string mutation)
    {
        string file = Path.Combine(Directory, "straddle16-one-store" + ScenarioDriver.ScenarioExtension);
        var good = File.ReadAllLines(Path.ChangeExtension(file, ScenarioDriver.ExpectedExtension)).ToList();
        var wrong = mutation switch
        {
            "drop" => good.Where(l => l != "block16: fetch e8 ab 02 03 04; writer unfinished").ToList(),
            "add" => good.Append("block64: fetch e8 ab 02 03 04; writer unfinished").ToList(),
            _ => good.Select(l => l.Replace("block16:", "block32:")).ToList(),
        };
        Assert.NotEqual(good, wrong);
        var check = ScenarioDriver.Check(file, string.Join("\n", wrong));
        Assert.False(check.Matches);
        Assert.NotEmpty(check.Diff);
        Assert.True(ScenarioDriver.Check(file).Matches);
    }

    /// <summary>The facts the scenarios stand for, asserted directly so that a promote cannot quietly change them.</summary>
    [Fact]
    public void Rostedt_vector_tears_without_each_sync_and_not_with_all()
    {
        string Load(string n) => File.ReadAllText(Path.Combine(Directory, n + ScenarioDriver.ScenarioExtension));
        var block64 = new Block64Fetch();
        var noSync1 = ScenarioRunner.Outcomes(Scenario.Parse("a", Load("rostedt-split-sync1-missing")), block64);
        Assert.Contains(noSync1, o => o.StartsWith("fetch e8 01 cd ef 01", StringComparison.Ordinal));
        var noSync2 = ScenarioRunner.Outcomes(Scenario.Parse("b", Load("rostedt-split-sync2-missing")), block64);
        Assert.Contains(noSync2, o => o.StartsWith("fetch e8 ab 02 03 04", StringComparison.Ordinal));
        foreach (var model in FetchModelRegistry.BuiltIn)
        {
            Assert.All(ScenarioRunner.Outcomes(Scenario.Parse("c", Load("rostedt-split-all-syncs")), model),
                o => Assert.StartsWith("fetch e8 ab cd ef 01;", o));
            Assert.All(ScenarioRunner.Outcomes(Scenario.Parse("d", Load("int3-single-byte")), model),
                o => Assert.True(o.StartsWith("fetch cc;", StringComparison.Ordinal) || o.StartsWith("fetch e8 01 02 03 04;", StringComparison.Ordinal), o));
        }
    }

    [Fact]
    public void A_malformed_scenario_names_the_line()
    {
        var e = Assert.Throws<FormatException>(() => Scenario.Parse("bad", "cpus 2\ncode 400000 90\n"));
        Assert.Contains("bad:2", e.Message);
        Assert.Contains("hex address", e.Message);
        var run = Assert.Throws<ArgumentException>(() => Scenario.Parse("bad", "cpus 2\nrun cpu5x1\n"));
        Assert.Contains("Runs[0].Cpu = 5", run.Message);
    }
}
