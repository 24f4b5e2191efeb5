using Conformance.Emulation;

namespace Conformance.Machine;

public sealed partial class Machine
{
    /// <summary>
    /// Mixes into <paramref name="h"/> everything of the machine that decides what any schedule of
    /// it can do from here on (spec/exhaustive.md, "Visited states"): every CPU (registers, flags,
    /// RIP, run state, interrupt shadow, NMI blocking, pending NMI and vectors, which task it runs,
    /// whether the patching thread holds it), every suspended task, every writer (its position, wait,
    /// pending acknowledgements, block, failure), the locks, the writable memory (stacks from their
    /// lowest live RSP up) and the code: the bytes that differ from the initial image, and the
    /// fetch-version state, canonically. Absolute time is left out: what a fetch can read depends on
    /// time only through the order of the stores that a CPU's window (from its last serialization to
    /// now) still holds, so those stores are mixed with the rank of their moment among them, and each
    /// CPU's last serialization as the number of those moments at or before it.
    /// Only valid with an unbounded staleness window (the exhaustive scenario's): a finite window
    /// would make the distance to now matter.
    /// </summary>
    public void AddExplorationState(StateHasher h)
    {
        if (Options.StalenessWindow != long.MaxValue)
            throw new InvalidOperationException($"StalenessWindow = {Options.StalenessWindow}: the exploration state hash needs an unbounded window (time would matter)");
        h.Tag("cpus");
        long oldest = long.MaxValue;
        foreach (var c in Cpus)
            if (_runQueues[c.Id].Count > 0) oldest = Math.Min(oldest, c.State.LastSerializingTime);
        foreach (var c in Cpus)
        {
            var s = c.State;
            foreach (var r in s.Gpr) h.Mix(r);
            h.Mix(s.Rip); h.Mix((ulong)s.Flags); h.Mix((ulong)s.Shadow); h.Mix(s.NmiBlocked); h.Mix((ulong)s.Run);
            h.Mix(s.Fault is { } f ? 1UL + (ulong)f.Kind : 0);
            h.Mix(c.NmiPending);
            for (int w = 0; w < 4; w++) h.Mix(c.PendingVectors(w));
            h.Mix(_current[c.Id]);
            h.Mix((_writerRunning[c.Id] ? 1UL : 0) + (_writerPreempted[c.Id] ? 2UL : 0));
        }
        h.Tag("tasks");
        foreach (var t in _tasks)
        {
            foreach (var r in t.Registers) h.Mix(r);
            h.Mix(t.Rip); h.Mix((ulong)t.Flags);
        }
        h.Tag("writers");
        h.Mix(_writersSet);
        foreach (var w in _writers)
        {
            if (w is null) { h.Mix(0); continue; }
            h.Mix((w.Waiting ? 2UL : 1UL) + (w.Done ? 4UL : 0) + (w.Blocked is null ? 0 : 8UL) + (w.Failure is null ? 0 : 16UL));
            h.Mix(w.Position);
            foreach (var p in w.Pending) h.Mix(p);
        }
        h.Tag("locks");
        foreach (var (name, holder) in _locks.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            h.Tag(name);
            h.Mix(holder);
        }
        h.Tag("memory");
        foreach (var region in Memory.Regions)
        {
            if (!region.IsWritableByInstructions) continue;
            int from = region.Kind == RegionKind.Stack ? LowestLiveOffset(region) & ~7 : 0;
            h.Mix(region.Base + (ulong)from);
            h.Mix(region.Bytes.AsSpan(from));
        }
        MixCode(h, oldest);
    }

    /// <summary>The code's part of <see cref="AddExplorationState"/>: the changed bytes, the stores a window still holds (by rank), each CPU's place among them.</summary>
    private void MixCode(StateHasher h, long oldest)
    {
        h.Tag("code");
        var differing = new List<int>();
        var changes = new List<(long Time, int Offset, byte Previous)>();
        var regionOf = new List<int>();
        for (int r = 0; r < Memory.Regions.Count; r++)
        {
            var region = Memory.Regions[r];
            if (region.History is not { } history) continue;
            differing.Clear();
            history.Differing(region.Bytes, differing);
            h.Mix(r); h.Mix(differing.Count);
            foreach (int o in differing) { h.Mix(o); h.Mix(region.Bytes[o]); }
            int before = changes.Count;
            history.ChangesAfter(oldest, changes);
            for (int i = before; i < changes.Count; i++) regionOf.Add(r);
        }
        // The moments the windows hold, in order; a store is known by its rank among them.
        var times = changes.Select(c => c.Time).Distinct().Order().ToArray();
        var order = Enumerable.Range(0, changes.Count).OrderBy(i => changes[i].Time).ThenBy(i => regionOf[i]).ThenBy(i => changes[i].Offset).ToArray();
        h.Tag("versions");
        h.Mix(order.Length);
        foreach (int i in order)
        {
            h.Mix(Array.BinarySearch(times, changes[i].Time));
            h.Mix(regionOf[i]); h.Mix(changes[i].Offset); h.Mix(changes[i].Previous);
        }
        // Each CPU's last serialization: how many of those moments lie at or before it (a CPU that runs no code has no window).
        foreach (var c in Cpus)
        {
            if (_runQueues[c.Id].Count == 0) { h.Mix(-1); continue; }
            int at = Array.BinarySearch(times, c.State.LastSerializingTime);
            h.Mix(at >= 0 ? at + 1 : ~at);
        }
    }
}
