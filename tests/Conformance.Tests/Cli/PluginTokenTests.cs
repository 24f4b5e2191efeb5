using System.Text.Json;
using Conformance.Checking.Exhaustive;
using Conformance.Generators.Campaigns;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// Tokens that find their plug-in (issue 13): a plug-in patcher's token names the assembly as it was
/// given to <c>--plugin</c>, every printed <c>replay</c>/<c>explain</c> line carries that
/// <c>--plugin</c> and works when pasted into a shell, and a replay without the plug-in, or with
/// another assembly, says exactly which <c>--plugin</c> to add (exit 2).
/// </summary>
public class PluginTokenTests
{
    // The tests' own assembly holds the mutants; the example plug-in is a user's project, built beside the tests.
    private static readonly string Mutants = typeof(Patching.Mutants.TextPokeBpWithoutSync1).Assembly.Location;
    private static readonly string Example = typeof(MyRetarget.MyRetargetPatcher).Assembly.Location;

    // As a user types it: relative to where the command runs.
    private static string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);

    /// <summary>The arguments of the printed line with <paramref name="marker"/>, from its last word (the verb) on: what follows the CLI's name.</summary>
    private static string PrintedLine(string output, string marker)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.Contains(marker)) ?? throw new Xunit.Sdk.XunitException($"no line with '{marker}' in:\n{output}");
        string verb = marker.Trim().Split(' ')[^1];
        return line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.LastIndexOf(verb, StringComparison.Ordinal))..].Trim();
    }

    [Fact]
    public void Check_prints_replay_and_explain_lines_that_carry_the_plugin_and_work_when_pasted()
    {
        string plugin = Relative(Mutants);
        using var json = new TempFile();
        var (exit, output, error) = CliProcess.Run("check", "--plugin", plugin, "--patcher", "mutant-text-poke-bp-no-sync1", "--model", "block16",
            "--runs", "50", "--emulator-runs", "0", "--json", json);
        Assert.True(exit == 0, output + error);   // the mutant fails under block16, as it declares
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
            Assert.Equal(plugin, ReplayToken.Parse(doc.RootElement.GetProperty("matrix")[0].GetProperty("replay").GetString()!).Plugin);

        string replay = PrintedLine(output, "| replay ");
        Assert.EndsWith($" --plugin {plugin}", replay);
        Assert.Contains($"explain TOKEN --plugin {plugin}", output);   // the hint too

        var replayed = CliProcess.RunPasted(replay);
        Assert.True(replayed.Exit == 1, replayed.Out + replayed.Err);
        Assert.Contains("P1-old-new-or-trap", replayed.Out);

        var explained = CliProcess.RunPasted(PrintedLine(replayed.Out, " -- explain "));
        Assert.True(explained.Exit == 0, explained.Out + explained.Err);
        Assert.Contains("Why this violates P1-old-new-or-trap", explained.Out);
        Assert.EndsWith($" --plugin {plugin}", PrintedLine(explained.Out, " -- explain "));   // the timeline's own replay line
    }

    [Fact]
    public void Exhaustive_check_prints_a_replay_line_that_carries_the_plugin_and_works_when_pasted()
    {
        var (exit, output, error) = CliProcess.Run("check", "--exhaustive", "--plugin", Mutants, "--patcher", "mutant-text-poke-bp-no-sync2", "--model", "block16");
        Assert.True(exit == 0, output + error);
        string replay = PrintedLine(output, "      replay ");
        Assert.StartsWith("replay cx2:mutant-text-poke-bp-no-sync2:block16:", replay);
        Assert.EndsWith($" --plugin {Mutants}", replay);   // an absolute path, printed as given

        var replayed = CliProcess.RunPasted(replay);
        Assert.True(replayed.Exit == 1, replayed.Out + replayed.Err);
        var explained = CliProcess.RunPasted(PrintedLine(replayed.Out, " -- explain "));
        Assert.True(explained.Exit == 0, explained.Out + explained.Err);
        Assert.Contains("Why this violates", explained.Out);
    }

    private static string MutantToken(string plugin) =>
        new ReplayToken("mutant-text-poke-bp-no-sync1", "block16", false, 4, 1, 3, 7) { Plugin = plugin }.ToString();

    [Theory]
    [InlineData("replay")]
    [InlineData("explain")]
    public void A_plugin_token_without_its_plugin_says_exactly_which_plugin_to_add(string verb)
    {
        string plugin = Relative(Mutants);
        var (exit, _, error) = CliProcess.Run(verb, MutantToken(plugin));
        Assert.Equal(2, exit);
        Assert.Equal($"conformance: the token's patcher 'mutant-text-poke-bp-no-sync1' comes from a plug-in: add --plugin {plugin}", error.Trim());

        var cx = new ExhaustiveToken("mutant-text-poke-bp-no-sync2", "block16", 2, 1, false, Conformance.Machine.Schedule.Empty) { Plugin = plugin };
        (exit, _, error) = CliProcess.Run(verb, cx.ToString());
        Assert.Equal(2, exit);
        Assert.EndsWith($"add --plugin {plugin}", error.Trim());
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void A_plugin_token_given_another_plugin_names_the_one_it_needs()
    {
        var (exit, _, error) = CliProcess.Run("replay", MutantToken(Mutants), "--plugin", Example);
        Assert.Equal(2, exit);
        Assert.Equal($"conformance: the token's patcher 'mutant-text-poke-bp-no-sync1' comes from the plug-in {Mutants}, which is not loaded " +
                     $"(loaded: {Example}): add --plugin {Mutants}", error.Trim());
    }

    [Fact]
    public void A_token_whose_plugin_does_not_hold_its_patcher_says_so()
    {
        string token = new ReplayToken("my-retarget-v0", "atomic", false, 4, 1, 3, 7) { Plugin = Example }.ToString();
        var (exit, _, error) = CliProcess.Run("explain", token, "--plugin", Example);
        Assert.Equal(2, exit);
        Assert.Contains($"the plug-in {Example} holds no patcher 'my-retarget-v0' (it holds ", error);
        Assert.Contains("my-retarget", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void The_example_plugins_token_replays_with_its_plugin()
    {
        string token = new ReplayToken("my-retarget", "atomic", false, 4, 1, 3, 7) { Plugin = Example }.ToString();
        var (exit, output, error) = CliProcess.Run("replay", token, "--plugin", Example);
        Assert.True(exit is 0 or 1, error);   // the case passes or fails; either way it ran
        Assert.StartsWith("my-retarget under atomic: ", output);
    }
}
