using System.Diagnostics;
using System.Reflection;
using Conformance.Tests.Support;

namespace Conformance.Tests.Cli;

/// <summary>
/// Progress in a piped <c>dotnet test</c> (spec/reports.md, "Progress in dotnet test"): the
/// assembly-level hook that feeds <see cref="DotnetTestProgress"/>, the line it writes, and the
/// pipe-only rule for where it writes.
/// </summary>
public class DotnetTestProgressTests
{
    [Fact]
    public void Every_test_of_the_assembly_passes_through_the_progress_reporter() =>
        // Without the [assembly: DotnetTestProgress] line the reporter never hears of a test.
        Assert.Single(typeof(DotnetTestProgressTests).Assembly.GetCustomAttributes<DotnetTestProgressAttribute>());

    [Fact]
    public void A_line_comes_at_least_every_30_seconds() =>
        Assert.InRange(DotnetTestProgress.Period, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    [Fact]
    public void The_line_names_the_longest_running_tests_first_in_plain_text()
    {
        var running = new[] { ("A.short", 9_000L), ("B.longest", 1_000L), ("C.middle", 5_000L), ("D.newest", 10_000L) };
        var line = DotnetTestProgress.Line(12_500, 41, running);
        Assert.Equal("progress 12 s: 41 tests finished, 4 running: B.longest (11 s), C.middle (7 s), A.short (3 s), ...", line);
        Assert.DoesNotContain('\u001b', line);
    }

    [Fact]
    public void A_line_stays_under_a_pipe_write_that_is_atomic()
    {
        var running = new[] { (new string('x', 1_000), 0L) };
        Assert.InRange(DotnetTestProgress.Line(1_000, 0, running).Length, 1, 400);
    }

    [Fact]
    public void Only_a_pipe_is_written_never_a_file_or_a_terminal()
    {
        Assert.True(DotnetTestProgress.IsPipe("pipe:[123456]"));
        Assert.False(DotnetTestProgress.IsPipe("/dev/pts/0"));
        Assert.False(DotnetTestProgress.IsPipe("/tmp/log"));
        Assert.False(DotnetTestProgress.IsPipe(null));
    }

    [Fact]
    public void A_line_written_into_another_process_stderr_pipe_reaches_its_reader()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/proc is Linux's");
        // A child whose standard error is a pipe we read, as dotnet test's is when piped.
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { RedirectStandardError = true })!;
        try
        {
            using (var sink = DotnetTestProgress.OpenIfPipe($"/proc/{child.Id}/fd/2"))
            {
                Assert.NotNull(sink);
                sink.Write("progress line\n"u8);
            }
            child.Kill();
            Assert.Equal("progress line", child.StandardError.ReadLine());
        }
        finally
        {
            if (!child.HasExited)
                child.Kill();
        }
    }

    [Fact]
    public void A_file_descriptor_on_a_regular_file_is_not_opened()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/proc is Linux's");
        using var file = new TempFile();
        using var stream = File.OpenWrite(file);
        var fd = stream.SafeFileHandle.DangerousGetHandle();
        Assert.Null(DotnetTestProgress.OpenIfPipe($"/proc/self/fd/{fd}"));
    }
}
