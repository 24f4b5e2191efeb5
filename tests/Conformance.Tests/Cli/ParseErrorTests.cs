using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// The command line's own errors in the suite's words: every option's bad value (numbers, names,
/// paths, seeds, <c>--shard I/N</c>, tokens) is one line naming the option and the value, exit 2,
/// and never the name of a .NET type.
/// </summary>
public class ParseErrorTests
{
    [Theory]
    [InlineData("check --runs abc", "--runs: 'abc' is not a whole number")]
    [InlineData("check --runs 1.5", "--runs: '1.5' is not a whole number")]
    [InlineData("check --runs 99999999999", "--runs: '99999999999' is too large (at most 2,147,483,647)")]
    [InlineData("check --runs -99999999999", "--runs: '-99999999999' is too small")]
    [InlineData("check --runs", "--runs: needs a value (a whole number)")]
    [InlineData("check --runs 1 --runs 2", "--runs: given 2 values ('1', '2'); give it once")]
    [InlineData("check --runs 0", "--runs 0: must be a positive number of cases")]
    [InlineData("check --max-cpus eight", "--max-cpus: 'eight' is not a whole number")]
    [InlineData("check --max-cpus 9", "--max-cpus 9: must be 1 to 8")]
    [InlineData("check --emulator-runs x", "--emulator-runs: 'x' is not a whole number")]
    [InlineData("check --threads two", "--threads: 'two' is not a whole number")]
    [InlineData("check --seed abc", "--seed: 'abc' is not a whole number from 0 to 18446744073709551615")]
    [InlineData("check --seed -1", "--seed: '-1' is not a whole number")]
    [InlineData("check --seed 18446744073709551616", "--seed: '18446744073709551616' is not a whole number")]
    [InlineData("check --shard 1/x", "--shard '1/x': expected I/N")]
    [InlineData("check --strategy nope", "--strategy: unknown schedule strategy 'nope'")]
    [InlineData("check --model nope", "--model nope: unknown; known: atomic")]
    [InlineData("check --patcher", "--patcher: needs a value")]
    [InlineData("check --json", "--json: needs a value (a file's path)")]
    [InlineData("check --plugin /tmp", "--plugin /tmp: is a directory")]
    [InlineData("check --plugin /no/such.dll", "--plugin /no/such.dll: no such file")]
    [InlineData("check --exhaustive --preemptions many", "--preemptions 'many': a number 0 to 8, or 'unbounded'")]
    [InlineData("check --exhaustive --cpus z", "--cpus: 'z' is not a whole number")]
    [InlineData("check --exhaustive --step-budget 1e5", "--step-budget: '1e5' is not a whole number")]
    [InlineData("check --frobnicate", "'--frobnicate' is not an option of check")]
    [InlineData("check extra", "'extra' is one argument too many for check")]
    [InlineData("frobnicate", "'frobnicate' is not a command (the commands: check, list")]
    [InlineData("replay", "replay: needs its TOKEN argument (a replay token printed by check")]
    [InlineData("replay a b", "'b' is one argument too many for replay")]
    [InlineData("merge", "merge: needs its SHARDS argument")]
    [InlineData("bench --seeds none", "--seeds: 'none' is not a whole number")]
    [InlineData("bench --cap 0", "--cap 0: must be at least 1")]
    [InlineData("scenarios --dir /no/such/dir", "no such directory")]
    [InlineData("scenarios --dir /etc/passwd", "--dir /etc/passwd: is a file, not a directory")]
    [InlineData("list --json yes", "'yes' is one argument too many for list")]
    [InlineData("alarms --max-cpus 2 --max-cpus x", "--max-cpus: 'x' is not a whole number")]
    [InlineData("alarms --cases many", "--cases: 'many' is not a whole number")]
    [InlineData("alarms --seed -5", "--seed: '-5' is not a whole number")]
    public void A_bad_value_is_one_line_in_the_suites_words(string args, string says)
    {
        var (exit, output, error) = CliProcess.Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(says, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("System.", error);
        Assert.Equal("", output);
    }
}
