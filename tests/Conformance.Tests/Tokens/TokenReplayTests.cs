using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Checking.Tokens;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Tokens;

/// <summary>
/// What a token's text cannot show, checked when it replays: fetch choices that fit the execution
/// (not clamped into another one), and a patcher found where the token says it comes from.
/// </summary>
public class TokenReplayTests
{
    private static (ExhaustiveScenario Scenario, Schedule Schedule) NaiveCounterexample()
    {
        var scenario = ExhaustiveScenario.For(new NaiveTextPoke(), 2, 1, out string? declined) ?? throw new InvalidOperationException(declined);
        var result = ExhaustiveExplorer.Explore(() => new NaiveTextPoke(), new AtomicFetch(), scenario.Case, new ExhaustiveBound(2));
        var schedule = result.Counterexample!.Case.Schedule;
        Assert.NotEmpty(schedule.FetchChoices);   // else this test shows nothing
        return (scenario, schedule);
    }

    [Fact]
    public void The_explorers_own_fetch_choices_fit_their_execution()
    {
        var (scenario, schedule) = NaiveCounterexample();
        ExhaustiveTokenCheck.FetchChoices(() => new NaiveTextPoke(), new AtomicFetch(), scenario.WithSchedule(schedule));
    }

    [Fact]
    public void A_fetch_choice_larger_than_the_versions_offered_is_damage_not_clamped()
    {
        var (scenario, schedule) = NaiveCounterexample();
        var choices = schedule.FetchChoices.ToArray();
        choices[^1] = 99999;
        var e = Assert.Throws<ArgumentException>(() =>
            ExhaustiveTokenCheck.FetchChoices(() => new NaiveTextPoke(), new AtomicFetch(), scenario.WithSchedule(schedule with { FetchChoices = choices })));
        Assert.StartsWith($"token damaged: fetch choice #{choices.Length - 1} is 99999, but that fetch had ", e.Message);
    }

    [Fact]
    public void Fetch_choices_the_execution_never_reaches_are_damage()
    {
        var (scenario, schedule) = NaiveCounterexample();
        int[] choices = [.. schedule.FetchChoices, 0, 0, 0];
        var e = Assert.Throws<ArgumentException>(() =>
            ExhaustiveTokenCheck.FetchChoices(() => new NaiveTextPoke(), new AtomicFetch(), scenario.WithSchedule(schedule with { FetchChoices = choices })));
        Assert.Equal($"token damaged: it has {choices.Length} fetch choice(s), but its execution makes only {schedule.FetchChoices.Count}", e.Message);
    }

    private static readonly PatcherInfo BuiltIn = PatcherRegistry.Get("text-poke-bp");
    private static PatcherInfo FromPlugin(string name, string path) => BuiltIn with { Name = name, IsPlugin = true, Plugin = path };

    [Fact]
    public void A_plugin_token_finds_its_patcher_in_the_plugin()
    {
        var mine = FromPlugin("my-scheme", "bin/Mine.dll");
        Assert.Same(mine, TokenPatcher.Find("my-scheme", "bin/Mine.dll", [BuiltIn, mine]));
        Assert.Same(mine, TokenPatcher.Find("my-scheme", "elsewhere/Mine.dll", [BuiltIn, mine]));   // a copy, or another relative path
        Assert.Same(BuiltIn, TokenPatcher.Find("text-poke-bp", null, [BuiltIn, mine]));
    }

    [Fact]
    public void A_plugin_token_without_its_plugin_says_which_plugin_to_add()
    {
        var e = Assert.Throws<ArgumentException>(() => TokenPatcher.Find("my-scheme", "My Tests/bin/Mine.dll", [BuiltIn]));
        Assert.Equal("the token's patcher 'my-scheme' comes from a plug-in: add --plugin 'My Tests/bin/Mine.dll'", e.Message);
    }

    [Fact]
    public void A_plugin_token_with_another_plugin_says_which_plugin_to_add()
    {
        var other = FromPlugin("other", "bin/Other.dll");
        var e = Assert.Throws<ArgumentException>(() => TokenPatcher.Find("my-scheme", "bin/Mine.dll", [BuiltIn, other]));
        Assert.Equal("the token's patcher 'my-scheme' comes from the plug-in bin/Mine.dll, which is not loaded (loaded: bin/Other.dll): add --plugin bin/Mine.dll", e.Message);
    }

    [Fact]
    public void A_plugin_that_does_not_hold_the_tokens_patcher_says_so()
    {
        var renamed = FromPlugin("my-scheme-v2", "bin/Mine.dll");
        var e = Assert.Throws<ArgumentException>(() => TokenPatcher.Find("my-scheme", "bin/Mine.dll", [BuiltIn, renamed]));
        Assert.Equal("the plug-in bin/Mine.dll holds no patcher 'my-scheme' (it holds my-scheme-v2); the token was made with --plugin bin/Mine.dll: a different build of it?", e.Message);
    }

    [Fact]
    public void A_plugin_token_never_replays_a_built_in_patcher_of_the_same_name()
    {
        var e = Assert.Throws<ArgumentException>(() => TokenPatcher.Find("text-poke-bp", "bin/Mine.dll", [BuiltIn]));
        Assert.Contains("but 'text-poke-bp' here is built in", e.Message);
    }
}
