using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>How a fair run ended.</summary>
public enum LivenessVerdict : byte
{
    /// <summary>Every writer finished within the budget.</summary>
    Completed,
    /// <summary>The budget ran out with a writer unfinished and no repeated state seen.</summary>
    BudgetExhausted,
    /// <summary>The machine came back to a state it had been in while a writer waited: it will loop forever.</summary>
    Livelock,
}

/// <summary>The outcome of <see cref="Machine.RunFair"/>: the verdict and, for a livelock, the cycle.</summary>
public sealed record LivenessResult(LivenessVerdict Verdict, long Steps, long CycleStart, long CycleLength, IReadOnlyList<string> Cycle)
{
    public override string ToString() => Verdict switch
    {
        LivenessVerdict.Livelock => $"livelock: the state at step {CycleStart + CycleLength} repeats step {CycleStart} (a cycle of {CycleLength} steps); " +
                                    (Cycle.Count > 0 ? $"the cycle:{Environment.NewLine}{string.Join(Environment.NewLine, Cycle)}" : ""),
        LivenessVerdict.BudgetExhausted => $"no progress: the writer did not finish within {Steps} steps",
        _ => $"completed in {Steps} steps",
    };
}

public sealed partial class Machine
{
    /// <summary>
    /// Runs a fair schedule (round-robin, one step per CPU in turn) until every writer is done or
    /// <paramref name="budget"/> steps are taken. While a writer waits, the whole machine state
    /// (every CPU, pending events, writable memory, writer positions, the round-robin position) is
    /// fingerprinted at each step; since the schedule is periodic, a fingerprint seen before means the
    /// machine loops forever, and the steps between the two are reported as the cycle.
    /// </summary>
    public LivenessResult RunFair(long budget)
    {
        var seen = new Dictionary<(ulong, ulong), long>();
        long start = _step;
        int cpu = 0;
        ScheduleReadyWriters();
        while (_step - start < budget)
        {
            if (WritersDone) return new LivenessResult(LivenessVerdict.Completed, _step - start, 0, 0, Array.Empty<string>());
            if (_writers.Any(w => w is { Waiting: true }))
            {
                var print = Fingerprint(cpu);
                if (seen.TryGetValue(print, out long first))
                {
                    var cycle = _trace is null ? Array.Empty<string>() : _trace.Where(l => StepOf(l) >= first).ToArray();
                    return new LivenessResult(LivenessVerdict.Livelock, _step - start, first, _step - first, cycle);
                }
                seen[print] = _step;
            }
            Step(cpu);
            cpu = (cpu + 1) % Cpus.Count;
        }
        return WritersDone
            ? new LivenessResult(LivenessVerdict.Completed, _step - start, 0, 0, Array.Empty<string>())
            : new LivenessResult(LivenessVerdict.BudgetExhausted, _step - start, 0, 0, Array.Empty<string>());
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

    /// <summary>Two independent 64-bit FNV-style hashes of everything that decides the future.</summary>
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
        foreach (var c in Cpus)
        {
            var s = c.State;
            foreach (var r in s.Gpr) Mix(r);
            Mix(s.Rip); Mix((ulong)s.Flags); Mix((ulong)s.Shadow); Mix(s.NmiBlocked ? 1UL : 0); Mix((ulong)s.Run);
            Mix(c.NmiPending ? 1UL : 0);
            for (int v = 0; v < 256; v++) if (c.IsPending((byte)v)) Mix(0x1000UL + (ulong)v);
            Mix((ulong)(_current[c.Id] + 1));
            Mix((_writerRunning[c.Id] ? 1UL : 0) + (_writerPreempted[c.Id] ? 2UL : 0));
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
