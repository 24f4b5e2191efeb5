using System.Diagnostics;
using System.Reflection;
using System.Text;
using Conformance.Tests.Support;
using Xunit.v3;

// Every test of the assembly passes through the progress reporter (spec/reports.md, "Progress in dotnet test").
[assembly: DotnetTestProgress]

namespace Conformance.Tests.Support;

/// <summary>
/// Progress lines for a piped <c>dotnet test</c>. Under Microsoft.Testing.Platform the SDK captures
/// this process's standard output and error and prints nothing for a passing test, and no setting in
/// the repository changes that (spec/reports.md says what was measured). So, when this process was
/// started by <c>dotnet test</c> and that process's standard error is a pipe, a plain line (no ANSI)
/// is written into that pipe every <see cref="DotnetTestProgress.Period"/>: how many tests finished, and the tests
/// running with their elapsed time. Only a pipe: a regular file opened again through /proc has its
/// own offset, and the SDK's later writes would overwrite the lines; a terminal has the SDK's own
/// live display. The lines are for a reader only: wall-clock time decides nothing about a verdict.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class DotnetTestProgressAttribute : BeforeAfterTestAttribute
{
    public override void Before(MethodInfo methodUnderTest, IXunitTest test) => DotnetTestProgress.Started(test.UniqueID, Name(test));

    public override void After(MethodInfo methodUnderTest, IXunitTest test) => DotnetTestProgress.Finished(test.UniqueID);

    private static string Name(IXunitTest test) =>
        $"{test.TestCase.TestClassName?.Split('.').Last()}.{test.TestCase.TestMethodName}";
}

public static class DotnetTestProgress
{
    /// <summary>Often enough that a CI log never looks stalled (the brief: a line every 30 s at least), few lines in all.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private static readonly object Gate = new();
    private static readonly Dictionary<string, (string Name, long Start)> Running = [];
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static int finished;
    private static readonly Lazy<Stream?> Sink = new(OpenSink);
    private static Timer? timer;

    internal static void Started(string id, string name)
    {
        if (Sink.Value is null)
            return;
        lock (Gate)
        {
            Running[id] = (name, Clock.ElapsedMilliseconds);
            timer ??= new Timer(_ => Write(), null, Period, Period);
        }
    }

    internal static void Finished(string id)
    {
        if (Sink.Value is null)
            return;
        lock (Gate)
        {
            if (Running.Remove(id))
                finished++;
        }
    }

    private static void Write()
    {
        string line;
        lock (Gate)
            line = Line(Clock.ElapsedMilliseconds, finished, Running.Values);
        try
        {
            // One write of a line shorter than PIPE_BUF: atomic, so it never interleaves with the SDK's.
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            Sink.Value!.Write(bytes);
            Sink.Value.Flush();
        }
        catch (IOException)
        {
            // The reader went away: progress is not worth failing a run for.
        }
    }

    /// <summary>
    /// The progress line: elapsed seconds, tests finished, and the running tests, longest first
    /// (ties by name), at most three named, the line cut at 400 bytes (under PIPE_BUF).
    /// </summary>
    public static string Line(long elapsedMs, int finishedTests, IEnumerable<(string Name, long Start)> running)
    {
        var now = running
            .Select(r => (r.Name, Seconds: (elapsedMs - r.Start) / 1000))
            .OrderByDescending(r => r.Seconds).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder($"progress {elapsedMs / 1000} s: {finishedTests} tests finished, {now.Count} running");
        if (now.Count > 0)
            text.Append(": ").Append(string.Join(", ", now.Take(3).Select(r => $"{r.Name} ({r.Seconds} s)")));
        if (now.Count > 3)
            text.Append(", ...");
        var line = text.ToString();
        return line.Length <= 400 ? line : line[..397] + "...";
    }

    /// <summary>
    /// The parent's standard error when the parent is <c>dotnet test</c> (it starts the test
    /// application with <c>--server dotnettestcli</c>) and that standard error is a pipe; null otherwise.
    /// </summary>
    private static Stream? OpenSink()
    {
        if (!OperatingSystem.IsLinux() || !Environment.GetCommandLineArgs().Contains("dotnettestcli"))
            return null;
        try
        {
            return OpenIfPipe($"/proc/{ParentId()}/fd/2");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A file descriptor of another process (<c>/proc/PID/fd/N</c>) opened for writing when it is a pipe; null otherwise.</summary>
    public static Stream? OpenIfPipe(string fdPath) =>
        IsPipe(new FileInfo(fdPath).LinkTarget)
            ? new FileStream(fdPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0)
            : null;

    /// <summary>What /proc shows as the target of a file descriptor open on a pipe: <c>pipe:[inode]</c>.</summary>
    public static bool IsPipe(string? fdTarget) => fdTarget is not null && fdTarget.StartsWith("pipe:[", StringComparison.Ordinal);

    private static int ParentId()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("PPid:", StringComparison.Ordinal));
        return int.Parse(line["PPid:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
