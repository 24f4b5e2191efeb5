using System.Diagnostics;
using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// The worker's first line of defence, on its own thread: every 50 ms it looks at the plug-in call
/// in progress on every thread (a relayed command may run cells on several) and at the process's memory. A call that has run
/// longer than the timeout (wall time, or CPU time of the process since the call began: a plug-in
/// that spins on several threads) or a process past its memory limit is reported as a
/// <see cref="WorkerLine.Fatal"/> line naming the plug-in and the member, and the worker exits
/// (a .NET thread cannot be stopped; its process can). Every half second it counts a heartbeat in
/// the <see cref="CallSlot"/>, so the supervisor can tell a worker that stopped answering from one that is busy.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private const int TicksPerHeartbeat = 10;

    private readonly WorkerChannel _channel;
    private readonly PluginLimits _limits;
    private readonly Func<PluginFault> _outsideCalls;
    private readonly CallSlot? _slot;
    private readonly Thread _thread;
    private volatile bool _stopped;

    /// <param name="channel">Where the fault and the heartbeats go.</param>
    /// <param name="limits">The timeout and the memory limit.</param>
    /// <param name="outsideCalls">The fault to report when memory runs over between plug-in calls (the plug-in the job runs, member none).</param>
    /// <param name="slot">Where the heartbeats go (none: no heartbeats).</param>
    public Watchdog(WorkerChannel channel, PluginLimits limits, Func<PluginFault> outsideCalls, CallSlot? slot)
    {
        _slot = slot;
        _channel = channel;
        _limits = limits;
        _outsideCalls = outsideCalls;
        _thread = new Thread(Watch) { IsBackground = true, Name = "plug-in watchdog", Priority = ThreadPriority.AboveNormal };
    }

    public Watchdog Start()
    {
        _thread.Start();
        return this;
    }

    /// <summary>The most wall time one tick may count for (see <see cref="Watch"/>).</summary>
    private static readonly TimeSpan MaxCredit = TimeSpan.FromMilliseconds(200);

    /// <remarks>
    /// A call's wall time is counted tick by tick, each tick for at most <see cref="MaxCredit"/>:
    /// when the machine is so loaded that this thread wakes seconds late, the job's thread is
    /// starved alike, and a call that would take milliseconds must not be reported as hung
    /// (a false report is the worst thing a checker can say). A call that truly hangs still
    /// accumulates 50 ms a tick and is stopped; on a quiet machine the count is the wall time.
    /// </remarks>
    private void Watch()
    {
        // Per thread: the call last seen, the process's CPU time when it was first seen, and the wall time counted for it.
        var seen = new Dictionary<PluginCalls.Calls, (long Sequence, TimeSpan Cpu, TimeSpan Wall)>(ReferenceEqualityComparer.Instance);
        long memoryLimit = (long)_limits.MemoryMb << 20;
        long last = Stopwatch.GetTimestamp();
        for (int tick = 0; !_stopped; tick++)
        {
            Thread.Sleep(Tick);
            long now = Stopwatch.GetTimestamp();
            var credit = Stopwatch.GetElapsedTime(last, now);
            if (credit > MaxCredit) credit = MaxCredit;
            last = now;
            PluginCalls.Call? call = null;
            var cpu = Environment.CpuUsage.TotalTime;
            foreach (var thread in PluginCalls.Threads)
            {
                if (thread.Current is not { } c) continue;
                call ??= c;
                if (seen.TryGetValue(thread, out var s) && s.Sequence == c.Sequence) s = s with { Wall = s.Wall + credit };
                else s = (c.Sequence, cpu, c.Elapsed < credit ? c.Elapsed : credit);
                seen[thread] = s;
                // CPU time past the limit is a hang too (the call surely ran that long); it is named CPU time
                // only when it is well over the call's wall time: a plug-in spinning on several threads. The
                // process's CPU time counts the runtime's own threads too (the JIT's background compiler, the
                // GC): on a quiet machine a plug-in spinning on one thread runs a little over its wall time,
                // and was reported as using CPU time; between the two it is left to the wall time.
                var used = cpu - s.Cpu;
                bool severalThreads = used > c.Elapsed * 1.5;
                if (s.Wall > _limits.Timeout || (used > _limits.Timeout && used <= c.Elapsed))
                    Stop(c.Fault($"did not finish within {_limits.TimeoutText} (wall time) in {{member}}"));
                if (used > _limits.Timeout && severalThreads)
                    Stop(c.Fault($"used more than {_limits.TimeoutText} of CPU time in {{member}}"));
            }
            call ??= PluginCalls.OutOfMemory;   // a call that ran out of memory and ended while its fault was being reported
            if (Environment.WorkingSet > memoryLimit)
                Stop(call is { } m ? m.Fault($"exceeded {_limits.MemoryMb} MB in {{member}}") : _outsideCalls() with { Cause = $"exceeded {_limits.MemoryMb} MB in {{member}}" });
            if (tick % TicksPerHeartbeat == 0) _slot?.Beat();
        }
    }

    /// <summary>Reports the fault and ends the process: the call that went over cannot be stopped any other way.</summary>
    private void Stop(PluginFault fault)
    {
        if (_stopped) return;
        _stopped = true;
        _channel.Send(new WorkerLine(WorkerLine.Fatal) { PluginFault = fault });
        Environment.Exit(WorkerHost.StoppedExit);
    }

    public void Dispose() => _stopped = true;
}
