using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>How a worker's job ended: its result line, or the fault that ended it (reported by the worker or found by the supervisor).</summary>
public sealed record WorkerOutcome(WorkerLine? Result, PluginFault? Fault, string? Failure)
{
    public bool Succeeded => Result is not null;
}

/// <summary>
/// The supervisor: starts the command line's own executable as a worker (<c>worker</c>, hidden),
/// hands it one request, passes every line it writes to the caller, and watches it from outside:
/// its memory (a backstop above the limit its own watchdog enforces, and a managed heap hard
/// limit), and its heartbeats in the <see cref="CallSlot"/> (a worker that neither beats nor
/// writes for longer than the timeout allows is stopped).
/// When the worker dies without a result, the cause is read from how it died (its exit code, the
/// runtime's last words on stderr: a stack overflow, <c>Environment.FailFast</c>) and the member
/// it was in from its <see cref="CallSlot"/>.
/// </summary>
public static class WorkerProcess
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private const int StderrKept = 16 * 1024;

    /// <summary>
    /// Runs <paramref name="request"/> in a fresh worker. <paramref name="onLine"/> hears every line
    /// but heartbeats and the last; text the worker's code writes to its console comes as
    /// <see cref="WorkerLine.Out"/>/<see cref="WorkerLine.Err"/> lines, which go to this process's
    /// stderr unless <paramref name="onLine"/> takes them.
    /// </summary>
    /// <param name="request">The job (limits and slot are filled in here).</param>
    /// <param name="plugin">The plug-in the job runs, to name in a fault the worker could not report itself.</param>
    /// <param name="name">The plug-in's name, if known.</param>
    /// <param name="limits">The timeout and the memory limit.</param>
    /// <param name="onLine">Hears the job's lines as they come (on a reader thread, one at a time); returns whether it took the line.</param>
    public static WorkerOutcome Run(WorkerRequest request, PluginOrigin plugin, string? name, PluginLimits limits, Func<WorkerLine, bool>? onLine = null)
    {
        string slot = CallSlot.CreateFile();
        try { return Supervise(request with { TimeoutSeconds = limits.Timeout.TotalSeconds, MemoryMb = limits.MemoryMb, Slot = slot }, plugin, name, limits, slot, onLine); }
        finally { File.Delete(slot); }
    }

    private static WorkerOutcome Supervise(WorkerRequest request, PluginOrigin plugin, string? name, PluginLimits limits, string slot, Func<WorkerLine, bool>? onLine)
    {
        Process? started;
        try { started = Process.Start(StartInfo(limits)); }
        catch (System.ComponentModel.Win32Exception e) { started = null; Console.Error.WriteLine($"conformance: could not start a worker process: {e.Message}"); }
        if (started is null) return new WorkerOutcome(null, null, "could not start a worker process (is `dotnet` on the PATH?)");
        using var process = started;
        var stderr = new StringBuilder();
        var stderrDone = Task.Run(() => Drain(process.StandardError, stderr));
        WorkerLine? result = null, fatal = null;
        int lines = 0;
        var stdoutDone = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } text)
            {
                Interlocked.Increment(ref lines);
                WorkerLine? line;
                try { line = JsonSerializer.Deserialize<WorkerLine>(text, WorkerJson.Options); }
                catch (JsonException) { line = new WorkerLine(WorkerLine.Out) { Text = text + "\n" }; }   // not ours: a plug-in writing to stdout
                switch (line?.Kind)
                {
                    case null: break;
                    case WorkerLine.Result or WorkerLine.Exit: result = line; break;
                    case WorkerLine.Fatal or WorkerLine.Failed: fatal ??= line; break;
                    default:
                        if (onLine?.Invoke(line) != true && line.Kind is WorkerLine.Out or WorkerLine.Err) Console.Error.Write(line.Text);
                        break;
                }
            }
        });
        try
        {
            process.StandardInput.WriteLine(WorkerJson.Line(request));
            process.StandardInput.Close();
        }
        catch (IOException) { }   // it died before reading: said below

        // The worker's watchdog stops a hung call after the timeout and says so; no heartbeat for much
        // longer means the watchdog itself could not run. Memory: the watchdog's limit, then this backstop.
        // Before its first line a worker is starting (the runtime, the JIT), slowly on a loaded machine: a minute of grace.
        var silence = limits.Timeout + TimeSpan.FromSeconds(Math.Max(5, limits.Timeout.TotalSeconds));
        var startup = silence > TimeSpan.FromMinutes(1) ? silence : TimeSpan.FromMinutes(1);
        long backstop = ((long)limits.MemoryMb << 20) + Math.Max(64L << 20, ((long)limits.MemoryMb << 20) / 4);
        string? stopped = null;
        long? said = null;
        // Silence is counted poll by poll, each for at most 200 ms, as the watchdog counts a call
        // (Watchdog.Watch): on a machine so loaded that this loop wakes late, the worker is late alike.
        var quiet = TimeSpan.Zero;
        int linesSeen = 0;
        long beatsSeen = 0;
        long last = Stopwatch.GetTimestamp();
        while (!process.WaitForExit(Poll))
        {
            long now = Stopwatch.GetTimestamp();
            var credit = Stopwatch.GetElapsedTime(last, now);
            last = now;
            int heardLines = Volatile.Read(ref lines);
            long beats = CallSlot.Beats(slot);
            if (heardLines != linesSeen || beats != beatsSeen) { linesSeen = heardLines; beatsSeen = beats; quiet = TimeSpan.Zero; }
            else quiet += credit < TimeSpan.FromMilliseconds(200) ? credit : TimeSpan.FromMilliseconds(200);
            if (Volatile.Read(ref fatal) is not null || Volatile.Read(ref result) is not null)
            {
                // It said what happened and is exiting; one that does not is stopped.
                said ??= Stopwatch.GetTimestamp();
                if (Stopwatch.GetElapsedTime(said.Value) > TimeSpan.FromSeconds(5)) { Kill(process); break; }
                continue;
            }
            if (MemoryOf(process) > backstop) stopped = $"exceeded {limits.MemoryMb} MB (its worker process passed the {backstop >> 20} MB backstop) in {{member}}";
            else if (quiet > (linesSeen == 0 && beatsSeen == 0 ? startup : silence))
                stopped = $"stopped answering: nothing from its worker process for {quiet.TotalSeconds:0} s, in {{member}}";
            if (stopped is null) continue;
            Kill(process);
            break;
        }
        process.WaitForExit();
        stdoutDone.Wait();
        stderrDone.Wait();
        if (result is not null) return new WorkerOutcome(result, null, null);
        if (fatal is { PluginFault: { } fault }) return new WorkerOutcome(null, fault, null);
        if (fatal is { Text: { } failure }) return new WorkerOutcome(null, null, $"the worker process failed: {failure}");
        var (member, step) = CallSlot.Read(slot);
        string died = HowItDied(process.ExitCode, stderr.ToString());
        string cause = stopped
            ?? (died.Contains("OutOfMemory", StringComparison.Ordinal) || died.StartsWith("out of memory", StringComparison.Ordinal)
                ? $"exceeded {limits.MemoryMb} MB in {{member}}: its worker process ran out of memory ({died})"
                : $"crashed its worker process in {{member}}: {died}");
        return new WorkerOutcome(null, new PluginFault(plugin, name, member, step, cause), null);
    }

    /// <summary>The command line's own executable in its hidden worker mode, with the managed heap capped at the memory limit.</summary>
    private static ProcessStartInfo StartInfo(PluginLimits limits)
    {
        // This process's host when it is `dotnet`; else the app host beside the assembly; else `dotnet` from the PATH.
        string cli = typeof(WorkerProcess).Assembly.Location;
        string apphost = Path.ChangeExtension(cli, OperatingSystem.IsWindows() ? ".exe" : null);
        bool viaDotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" || !File.Exists(apphost);
        var start = new ProcessStartInfo(!viaDotnet ? apphost : Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        if (viaDotnet) start.ArgumentList.Add(cli);
        start.ArgumentList.Add("worker");
        // A plug-in that allocates without bound meets the watchdog's limit (resident memory) first; the
        // managed heap's hard limit, a quarter above it, is the stop it cannot run past (an OutOfMemoryException
        // in its own call), with room left to report it.
        long heap = ((long)limits.MemoryMb << 20) + ((long)limits.MemoryMb << 20) / 4;
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + heap.ToString("x", CultureInfo.InvariantCulture);
        start.Environment["DOTNET_gcServer"] = "0";
        return start;
    }

    /// <summary>The cause of a death, from the runtime's last words and the exit code (128 + the signal, on Unix).</summary>
    public static string HowItDied(int exitCode, string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? first = lines.FirstOrDefault();
        string what =
            lines.Any(l => l.StartsWith("Stack overflow", StringComparison.Ordinal)) ? "stack overflow" :
            lines.Any(l => l.StartsWith("Out of memory", StringComparison.OrdinalIgnoreCase)) ? "out of memory" :
            first?.StartsWith("Process terminated.", StringComparison.Ordinal) == true ? $"Environment.FailFast(\"{FailFastMessage(lines)}\")" :
            lines.FirstOrDefault(l => l.StartsWith("Unhandled exception.", StringComparison.Ordinal)) is { } unhandled ? $"an unhandled exception: {unhandled["Unhandled exception.".Length..].Trim()}" :
            exitCode > 128 && exitCode < 160 ? $"signal {Signal(exitCode - 128)}" :
            first ?? "no message";
        return $"{what} (exit code {exitCode})";
    }

    /// <summary>What FailFast was told: after "Process terminated.", up to the stack trace.</summary>
    private static string FailFastMessage(string[] lines)
    {
        var said = new List<string> { lines[0]["Process terminated.".Length..].Trim() };
        said.AddRange(lines.Skip(1).TakeWhile(l => !l.StartsWith("at ", StringComparison.Ordinal)));
        return string.Join(" ", said.Where(l => l.Length > 0));
    }

    private static string Signal(int n) => n switch
    {
        6 => "SIGABRT", 9 => "SIGKILL (out of memory, or killed)", 11 => "SIGSEGV", 15 => "SIGTERM", 4 => "SIGILL", 7 => "SIGBUS", 8 => "SIGFPE",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads a stream to its end (a writer blocks on a full pipe), keeping its beginning.</summary>
    private static void Drain(StreamReader reader, StringBuilder kept)
    {
        var buffer = new char[4096];
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
            if (kept.Length < StderrKept) kept.Append(buffer, 0, Math.Min(n, StderrKept - kept.Length));
    }

    /// <summary>The worker's resident memory; 0 once it has exited (it may between the wait and the read).</summary>
    private static long MemoryOf(Process process)
    {
        try
        {
            process.Refresh();
            return process.WorkingSet64;
        }
        catch (InvalidOperationException) { return 0; }
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // already gone
    }
}
