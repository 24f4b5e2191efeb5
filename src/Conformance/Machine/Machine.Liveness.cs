using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>How a fair run ended.</summary>
public enum LivenessVerdict : byte
{
    /// <summary>Every writer finished.</summary>
    Completed,
    /// <summary>
    /// No writer made progress (a step, or an acknowledgement it waited for) within the window, and
    /// no repeated state was seen; or the run reached its step limit with a writer still unfinished.
    /// </summary>
    BudgetExhausted,
    /// <summary>No writer made progress within the window, and the machine came back to a state it had
    /// been in meanwhile: the fair schedule would repeat that cycle for ever.</summary>
    Livelock,
}

/// <summary>
/// The outcome of <see cref="Machine.RunFair"/>: the verdict and, for a livelock, the cycle.
/// <paramref name="Steps"/> counts the fair run's steps; <see cref="Window"/> is the progress
/// window it was given; <see cref="LongestStall"/> the most steps it went without writer progress
/// (what the window must exceed in a correct run: <c>alarms</c> reports its maximum).
/// </summary>
public sealed record LivenessResult(LivenessVerdict Verdict, long Steps, long CycleStart, long CycleLength, IReadOnlyList<string> Cycle)
{
    /// <summary>The steps without writer progress after which the run stops.</summary>
    public long Window { get; init; }

    /// <summary>The most consecutive steps the run went without writer progress.</summary>
    public long LongestStall { get; init; }

    /// <summary>The run hit its overall step limit while its writers kept taking steps (a writer with no end).</summary>
    public bool HitLimit { get; init; }

    /// <summary>For a livelock: the run went on through the whole window after the repeat (it did not stop at the cycle).</summary>
    public bool Confirmed { get; init; }

    public override string ToString() => Verdict switch
    {
        LivenessVerdict.Livelock => $"livelock: the state after step {CycleStart + CycleLength - 1} is the one before step {CycleStart} (a cycle of {CycleLength} steps)" +
                                    (Confirmed ? $", and no writer made progress in {Window} steps; " : "; ") +
                                    (Cycle.Count > 0 ? $"the cycle:{Environment.NewLine}{string.Join(Environment.NewLine, Cycle)}" : ""),
        LivenessVerdict.BudgetExhausted when HitLimit => $"no end: the writer kept taking steps but did not finish within {Steps} steps",
        LivenessVerdict.BudgetExhausted => $"no progress: no writer took a step or received an acknowledgement in {Window} steps (after {Steps} steps of the fair run)",
        _ => $"completed in {Steps} steps",
    };
}

/// <summary>How long a fair run may go without writer progress, as a function of the scenario.</summary>
public static class LivenessWindow
{
    /// <summary>The overall step limit of one fair run: only a writer that never ends reaches it.</summary>
    public const long Limit = 2_000_000;

    /// <summary>
    /// The window for a machine of <paramref name="cpus"/> CPUs. In a correct run the longest wait
    /// between two progress events of the writer is one CPU's acknowledgement held up by an IRQs-off
    /// ticket spinlock: every other CPU may be queued ahead of it, each holding the lock for a visit of
    /// the site (a trap and its handler included) while round-robin gives each CPU one step in
    /// <paramref name="cpus"/>. That grows as cpus x cpus x the critical section; the constant leaves a
    /// wide margin over the longest stall measured (spec/performance.md, <c>alarms</c>).
    /// </summary>
    public static long For(int cpus) => 4000 + 500L * cpus * cpus;
}

public sealed partial class Machine
{
    private long _writerProgress;   // writer steps taken and acknowledgements received, ever: what "progress" means to RunFair

    /// <summary>
    /// Runs a fair schedule (round-robin, one step per CPU in turn) until every writer is done. It
    /// stops with a liveness failure when no writer makes progress (takes a step, or receives an
    /// acknowledgement it waits for) for <paramref name="window"/> steps, or when it reaches
    /// <paramref name="limit"/> steps. While a writer waits or is blocked, the whole machine state (every
    /// CPU and task, pending events, the fetch choices still to come, writable memory, writer positions,
    /// locks, the round-robin position) is fingerprinted at each step; a fingerprint seen again since
    /// the last progress is a cycle, reported with the failure (the run would repeat it for ever).
    /// Unless <paramref name="stopAtCycle"/> is set, a cycle alone does not end the run: only the window
    /// does, so state the fingerprint cannot see (the fields of a plug-in's #BP handler) can never turn
    /// a slow run into a false livelock. Set it only where every host routine's decisions follow from
    /// the machine state and the writers' positions (the built-in catalog): then the repeat is proof.
    /// </summary>
    public LivenessResult RunFair(long window, long limit = LivenessWindow.Limit, bool stopAtCycle = false)
    {
        if (window <= 0) throw new ArgumentOutOfRangeException(nameof(window), window, "the progress window must be positive");
        var seen = new Dictionary<(ulong, ulong), long>();
        long start = _step, lastProgress = _step, progress = _writerProgress, stall = 0;
        long cycleStart = -1, cycleLength = 0;
        int cpu = 0;
        ScheduleReadyWriters();
        while (true)
        {
            if (_writerProgress != progress)
            {
                progress = _writerProgress;
                lastProgress = _step;
                seen.Clear();
                cycleStart = -1;
            }
            stall = Math.Max(stall, _step - lastProgress);
            if (WritersDone) return Result(LivenessVerdict.Completed);
            if (_step - lastProgress >= window)
                return cycleStart >= 0 ? Result(LivenessVerdict.Livelock) : Result(LivenessVerdict.BudgetExhausted);
            if (_step - start >= limit) return Result(LivenessVerdict.BudgetExhausted) with { HitLimit = true };
            if (cycleStart < 0 && _writers.Any(w => w is { Waiting: true } or { Blocked: not null }))
            {
                var print = Fingerprint(cpu);
                if (seen.TryGetValue(print, out long first))
                {
                    cycleStart = first;
                    cycleLength = _step - first;
                    if (stopAtCycle) return Result(LivenessVerdict.Livelock);
                }
                else seen[print] = _step;
            }
            Step(cpu);
            cpu = (cpu + 1) % Cpus.Count;
        }

        LivenessResult Result(LivenessVerdict verdict)
        {
            bool cycle = verdict == LivenessVerdict.Livelock;
            var lines = !cycle || _trace is null ? Array.Empty<string>()
                : _trace.Where(l => StepOf(l) >= cycleStart && StepOf(l) < cycleStart + cycleLength).ToArray();
            return new LivenessResult(verdict, _step - start, cycle ? cycleStart : 0, cycle ? cycleLength : 0, lines)
                { Window = window, LongestStall = stall, Confirmed = cycle && _step - lastProgress >= window };
        }
    }

    /// <summary>The step number a trace line starts with (right-aligned, any width).</summary>
    private static long StepOf(string line)
    {
        var text = line.AsSpan().TrimStart();
        int end = text.IndexOf(' ');
        return long.TryParse(end < 0 ? text : text[..end], out long s) ? s : -1;
    }

    /// <summary>The offset in a stack region of the lowest RSP that lives in it (a running CPU's or a suspended task's).</summary>
    private int LowestLiveOffset(MemoryRegion stack)
    {
        ulong lowest = stack.End;
        foreach (var c in Cpus)
            if (stack.Contains(c.State.Rsp)) lowest = Math.Min(lowest, c.State.Rsp);
        foreach (var t in _tasks)
            if (stack.Contains(t.Registers[(int)Gpr.Rsp])) lowest = Math.Min(lowest, t.Registers[(int)Gpr.Rsp]);
        return (int)(lowest - stack.Base);
    }

    /// <summary>
    /// Two independent 64-bit FNV-style hashes of everything that decides the future. Time itself is
    /// left out, and need not be in: a fetch reads anything but the newest bytes only by consuming a
    /// listed fetch choice, and choices are consumed only where a unit has more than one version. Two
    /// equal fingerprints have the same number of choices to come, so none was consumed between them,
    /// no store happened (the change counts are equal), and the versions a fetch can see only shrink
    /// as the window moves on: the steps between them repeat exactly.
    /// </summary>
    private (ulong, ulong) Fingerprint(int roundRobin)
    {
        ulong h1 = 14695981039346656037UL, h2 = 0x9E37_79B9_7F4A_7C15UL;
        void Mix(ulong v)
        {
            h1 = (h1 ^ v) * 1099511628211UL;
            h2 = (h2 + v) * 0xBF58_476D_1CE4_E5B9UL;
            h2 ^= h2 >> 29;
        }
        Mix((ulong)roundRobin);
        Mix((ulong)_choices.Remaining);
        foreach (var c in Cpus)
        {
            var s = c.State;
            foreach (var r in s.Gpr) Mix(r);
            Mix(s.Rip); Mix((ulong)s.Flags); Mix((ulong)s.Shadow); Mix(s.NmiBlocked ? 1UL : 0); Mix((ulong)s.Run);
            Mix(c.NmiPending ? 1UL : 0);
            for (int w = 0; w < 4; w++)   // every pending vector, lowest first
                for (ulong bits = c.PendingVectors(w); bits != 0; bits &= bits - 1)
                    Mix(0x1000UL + (ulong)(w * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits)));
            Mix((ulong)(_current[c.Id] + 1));
            Mix((_writerRunning[c.Id] ? 1UL : 0) + (_writerPreempted[c.Id] ? 2UL : 0));
        }
        // Suspended tasks resume from their saved registers.
        foreach (var t in _tasks)
        {
            foreach (var r in t.Registers) Mix(r);
            Mix(t.Rip); Mix((ulong)t.Flags);
        }
        // Where each writer stands: two waits at different syncs can find the CPUs, stacks and data
        // alike, and text (written only by writers) is not hashed; the position tells them apart.
        foreach (var w in _writers)
        {
            if (w is null) { Mix(0); continue; }
            Mix((w.Waiting ? 2UL : 1UL) + (w.Done ? 4UL : 0) + (w.Blocked is null ? 0 : 8UL));
            Mix((ulong)w.Position);
            foreach (var p in w.Pending) Mix(p ? 1UL : 0);
        }
        // Who holds which lock, in name order (a dictionary's own order is not a fact of the machine).
        foreach (var (name, holder) in _locks.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            foreach (char ch in name) Mix(ch);
            Mix(0x2000UL + (ulong)holder);
        }
        // Code changes only by writers' stores; the number of changes so far tells two moments apart
        // that look alike but have a different patch history (the same site patched there and back).
        foreach (var region in Memory.Regions)
            if (region.History is { } history) Mix((ulong)history.Count);
        Mix((ulong)_writersSet);
        // Writable memory, a word at a time. Below a stack's live RSP nothing decides the future
        // (it is written before it is read), so a stack is hashed from its lowest live RSP up.
        foreach (var region in Memory.Regions)
        {
            if (!region.IsWritableByInstructions) continue;
            int from = region.Kind == RegionKind.Stack ? LowestLiveOffset(region) : 0;
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(region.Bytes.AsSpan(from & ~7, (region.Size - (from & ~7)) & ~7));
            foreach (var w in words) Mix(w);
        }
        return (h1, h2);
    }
}
