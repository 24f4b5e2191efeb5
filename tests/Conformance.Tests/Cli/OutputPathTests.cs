using Conformance.Cli;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// Output that cannot be lost: every file option is checked before any work (a bad path is one line
/// naming the option, the path and the reason, exit 2, and nothing ran), and reports are written
/// atomically (a temporary file in the same directory, renamed over the path).
/// </summary>
public class OutputPathTests
{
    public static TheoryData<string, string> Commands => new()
    {
        // Each would run for a while (or fail on its input) if its output were checked after the work.
        { "check --runs 100000 --json", "--json" },
        { "check --runs 100000 --junit", "--junit" },
        { "merge /no/such/shard.json --junit", "--junit" },
        { "check --exhaustive --preemptions 3 --json", "--json" },
        { "check --exhaustive --preemptions 3 --junit", "--junit" },
        { "check --mutants --junit", "--junit" },
        { "check --mutants --json", "--json" },
        { "bench --json", "--json" },
        { "alarms --json", "--json" },
        { "merge /no/such/shard.json --json", "--json" },
        { "explain cf2:naive-text-poke:atomic:-:4:14477417553971232664:5191143326141363285:1:dbb45e49 --html", "--html" },
        { "explain cf2:naive-text-poke:atomic:-:4:14477417553971232664:5191143326141363285:1:dbb45e49 --json", "--json" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_path_in_a_directory_that_does_not_exist_is_refused_before_any_work(string command, string option)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, error) = CliProcess.Run([.. command.Split(' '), "/nonexistent/x.json"]);
        Assert.Equal(2, exit);
        Assert.Equal($"conformance: {option} /nonexistent/x.json: the directory /nonexistent does not exist", error.Trim());
        Assert.Equal("", output);   // no table, no progress, no timeline: nothing ran
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("/proc/x.json", "cannot write in /proc")]
    [InlineData("/etc/passwd/x.json", "/etc/passwd is a file, not a directory")]
    [InlineData("/tmp", "is a directory; give a file name")]
    [InlineData("out/", "is a directory; give a file name")]
    [InlineData(" ", "an empty path")]
    public void Every_kind_of_bad_path_is_one_line_naming_the_option_the_path_and_the_reason(string path, string reason)
    {
        var (exit, output, error) = CliProcess.Run("check", "--runs", "100000", "--json", path);
        Assert.Equal(2, exit);
        Assert.StartsWith("conformance: --json ", error);
        Assert.Contains(path.Trim(), error);
        Assert.Contains(reason, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("", output);
    }

    [Fact]
    public void Two_outputs_naming_one_file_are_refused()
    {
        var (exit, _, error) = CliProcess.Run("explain", "cf2:x", "--html", "/tmp/same.out", "--json", "/tmp/same.out");
        Assert.Equal(2, exit);
        Assert.Contains("--html and --json name the same file", error);
    }

    [Fact]
    public void A_report_replaces_the_file_whole_and_leaves_nothing_else_behind()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir, "results.json");
        File.WriteAllText(path, new string('x', 1_000_000));   // longer than the report: a write in place would leave a tail
        var (exit, _, error) = CliProcess.Run("check", "--patcher", "text-poke-bp", "--model", "atomic", "--runs", "3", "--emulator-runs", "0", "--json", path);
        Assert.True(exit == 0, error);
        string text = File.ReadAllText(path);
        Assert.StartsWith("{", text);
        Assert.EndsWith("}\n", text);
        Assert.Equal([path], Directory.GetFiles(dir));   // neither the probe nor the temporary file is left
    }

    [Fact]
    public void Write_is_atomic_and_dash_means_standard_output()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir, "a.txt");
        OutputPath.Check("--x", path);
        OutputPath.Write("--x", path, "one");
        OutputPath.Write("--x", path, "two");
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir));
        OutputPath.Check("--x", OutputPath.Stdout);   // accepted: a later --json - writes to standard output
        Assert.True(OutputPath.IsStdout("-"));
    }
}
