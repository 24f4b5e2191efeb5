using System.Diagnostics;

namespace Conformance.Patching;

/// <summary>
/// The plug-in call in progress on each thread: which plug-in, which member, which step, since
/// when. <see cref="GuardedPatcher"/> marks every call into a plug-in's code; the CLI's worker
/// process reads every thread's from a watchdog thread (<see cref="Threads"/>) to name the
/// member a plug-in hung or grew in, and mirrors it where its supervisor finds it after a crash
/// (<see cref="Observer"/>). Marking a call is a few field writes, cheap enough for every step a
/// plug-in draws.
/// </summary>
public static class PluginCalls
{
    [ThreadStatic] private static Calls? _mine;

    /// <summary>One call into a plug-in: its number (each call gets a new one), the plug-in, the member, the step, and when it started (a <see cref="Stopwatch"/> timestamp).</summary>
    public readonly record struct Call(long Sequence, PluginOrigin Origin, string? Name, PluginMember Member, int Step, long Since)
    {
        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Since);

        /// <summary>A fault of this call: the plug-in and the member, and the cause (with <c>{member}</c> where the member goes).</summary>
        public PluginFault Fault(string cause) => new(Origin, Name, Member, Step, cause);
    }

    /// <summary>The calling thread's call in progress, or null between calls.</summary>
    public static Call? Current => _mine?.Current;

    private static readonly List<Calls> Everyone = [];

    /// <summary>The calling thread's calls, for another thread to watch.</summary>
    public static Calls ThisThread => _mine ??= Register(new Calls());

    /// <summary>The calls of every thread that has called a plug-in (the worker's watchdog watches them all).</summary>
    public static IReadOnlyList<Calls> Threads
    {
        get { lock (Everyone) return Everyone.ToArray(); }
    }

    /// <summary>Threads inside a plug-in call now.</summary>
    private static int _threadsInCalls;

    /// <summary>The call in progress on a thread other than <paramref name="mine"/>, or null.</summary>
    private static Call? OtherCall(Calls mine)
    {
        lock (Everyone)   // no copy of the list: this runs at the end of a call while another thread is inside one
            foreach (var t in Everyone)
                if (t != mine && t.Current is { } c) return c;
        return null;
    }

    private static Calls Register(Calls calls)
    {
        lock (Everyone) Everyone.Add(calls);
        return calls;
    }

    /// <summary>Hears every call's member and step as it starts and ends (<see cref="PluginMember.None"/>): the worker keeps them where a crash leaves them readable.</summary>
    public static Action<PluginMember, int>? Observer { get; set; }

    /// <summary>
    /// Hears a fault the suite cannot go on from, before it is thrown as a <see cref="PluginFaultException"/>.
    /// The worker process reports it as its cell's result and exits; in-process it is only thrown.
    /// </summary>
    public static Action<PluginFault>? OnFatal { get; set; }

    private static Call _outOfMemory;
    private static volatile bool _ranOutOfMemory;

    /// <summary>
    /// The plug-in call in which an <see cref="OutOfMemoryException"/> was thrown, or null. With the
    /// heap full, reporting the fault may itself run out of memory after the call has ended, and the
    /// worker's watchdog, finding no call in progress, would blame the suite's code between calls; it
    /// names this call instead.
    /// </summary>
    public static Call? OutOfMemory => _ranOutOfMemory ? _outOfMemory : null;

    /// <summary>Notes that the calling thread's call in progress ran out of memory (no allocation: the heap may be full).</summary>
    internal static void NoteOutOfMemory()
    {
        if (_ranOutOfMemory || Current is not { } call) return;
        _outOfMemory = call;
        _ranOutOfMemory = true;
    }

    /// <summary>Forgets a noted <see cref="OutOfMemory"/> (for tests, which note one on purpose in a process that goes on).</summary>
    internal static void ForgetOutOfMemory() => _ranOutOfMemory = false;

    /// <summary>The memory limit a worker runs plug-ins under, in MB (named when a plug-in runs out), or null.</summary>
    public static int? MemoryLimitMb { get; set; }

    /// <summary>
    /// Set in a process that must never run a plug-in's code itself (the command line, which runs
    /// plug-ins in worker processes): creating a plug-in patcher there is a bug of the suite's.
    /// </summary>
    public static bool Forbidden { get; set; }

    /// <summary>Marks the start of a call; disposing the scope marks its end (and restores an enclosing call, if any).</summary>
    internal static Calls.Scope Enter(PluginOrigin origin, string? name, PluginMember member, int step) => ThisThread.Enter(origin, name, member, step);

    /// <summary>A fault the suite cannot go on from: told to <see cref="OnFatal"/>, then thrown.</summary>
    internal static PluginFaultException Fatal(PluginFault fault)
    {
        OnFatal?.Invoke(fault);
        return new PluginFaultException(fault);
    }

    /// <summary>One thread's call in progress, written by that thread and readable from any other.</summary>
    public sealed class Calls
    {
        // A sequence lock: odd while a call is being marked, so a reader on another thread never
        // sees the member of one call with the step of another.
        private long _sequence;
        private PluginOrigin? _origin;
        private string? _name;
        private PluginMember _member;
        private int _step;
        private long _since;

        internal Calls() { }

        /// <summary>The call in progress on the thread, or null between calls.</summary>
        public Call? Current
        {
            get
            {
                var spin = new SpinWait();
                while (true)
                {
                    long before = Volatile.Read(ref _sequence);
                    if ((before & 1) == 0)
                    {
                        var call = new Call(before, _origin!, _name, _member, _step, _since);
                        if (Volatile.Read(ref _sequence) == before) return call.Member == PluginMember.None ? null : call;
                    }
                    spin.SpinOnce();
                }
            }
        }

        internal Scope Enter(PluginOrigin origin, string? name, PluginMember member, int step)
        {
            var outer = new Scope(this, _origin, _name, _member, _step, _since);
            Mark(origin, name, member, step, Stopwatch.GetTimestamp());
            return outer;
        }

        private void Mark(PluginOrigin? origin, string? name, PluginMember member, int step, long since)
        {
            long s = _sequence;
            bool was = _member != PluginMember.None, now = member != PluginMember.None;
            Volatile.Write(ref _sequence, s + 1);
            _origin = origin;
            _name = name;
            _member = member;
            _step = step;
            _since = since;
            Volatile.Write(ref _sequence, s + 2);
            if (was != now) Interlocked.Add(ref _threadsInCalls, now ? 1 : -1);
            if (Observer is not { } observe) return;
            // After an OutOfMemoryException the slot keeps naming the call that ran out: reporting the
            // fault may throw again (the heap is still full) and unwind that call's scope, and a
            // supervisor that then stops the worker at its memory backstop must not read "between its calls".
            if (_ranOutOfMemory) { observe(_outOfMemory.Member, _outOfMemory.Step); return; }
            // The observer keeps one member for the whole process (the worker's call slot). When this
            // thread's call ends while another thread is still inside the plug-in, the slot must keep
            // naming that call: else a worker stopped for the other thread's memory or hang is said to
            // be "between its calls".
            if (!now && Volatile.Read(ref _threadsInCalls) > 0 && OtherCall(this) is { } other) observe(other.Member, other.Step);
            else observe(member, step);
        }

        /// <summary>The call that was in progress when this one started; restored when this one ends.</summary>
        internal readonly struct Scope(Calls calls, PluginOrigin? origin, string? name, PluginMember member, int step, long since) : IDisposable
        {
            public void Dispose() => calls.Mark(origin, name, member, step, since);
        }
    }
}
