using System.Runtime.InteropServices;

namespace Conformance.Generators.Bench;

/// <summary>
/// The CPU time of the calling thread, in milliseconds (Linux: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>),
/// or null where it cannot be read. A search runs on one thread, so this is the work it took,
/// without the time it waited for a core: on a shared machine under load, wall-clock time is
/// mostly that wait.
/// </summary>
public static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private static readonly bool Available = Probe();

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return false;
        try { return ClockGetTime(ClockThreadCpuTimeId, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>The calling thread's CPU time so far, in milliseconds, or null.</summary>
    public static double? NowMs()
    {
        if (!Available || ClockGetTime(ClockThreadCpuTimeId, out var t) != 0) return null;
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }
}
