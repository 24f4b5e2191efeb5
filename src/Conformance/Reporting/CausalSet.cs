using Conformance.Checking;
using Conformance.Machine;
using Iced.Intel;

namespace Conformance.Reporting;

/// <summary>A step the violation depends on, and what happened there that it depends on.</summary>
public sealed record CausalStep(long Step, string Why);

/// <summary>
/// The steps a violation depends on, computed from the trace (never from the explanation's text), which
/// a timeline never cuts (spec/timelines.md, "The causal set"): the stores whose bytes the offending
/// CPU fetched or ran, the trap and what its handler did, the interrupts, NMIs and preemptions on the
/// offending CPU from the start of its story (and their returns), the sync_core IPIs and
/// acknowledgements that followed the stores, the stub's earlier stores for a task left in a reused stub,
/// and for a patcher that never finishes, what it waits for, the locks it holds and why the other CPUs
/// do not answer.
/// </summary>
public static class CausalSet
{
    /// <summary>
    /// The violating event: the torn fetch for P1; for a task left in a stub, the preemption that
    /// switched it out there; otherwise the events of the violation's CPU (its patcher lane when the
    /// violation is about the patcher) at its step or, when that CPU did nothing then (the run had
    /// ended), at its last step before, without the handler returns (iretq) that share the step.
    /// </summary>
    public static IReadOnlyList<TraceEvent> Offending(IReadOnlyList<TraceEvent> events, Violation v)
    {
        if (v.Fetch is { } fetch)
            return events.OfType<SiteFetched>().Where(f => ReferenceEquals(f.Fetch, fetch)).Take(1).ToArray();
        if (v.InStubAt is not null && events.LastOrDefault(e => e.Cpu == v.Cpu && e.Step <= v.Step && IsSwitchOut(e)) is { } switched)
            return [switched];
        var mine = events.Where(e => e.Cpu == v.Cpu && e.Step <= v.Step && e.ByWriter == v.OnWriter).ToArray();
        if (mine.Length == 0) mine = events.Where(e => e.Cpu == v.Cpu && e.Step <= v.Step).ToArray();
        if (mine.Length == 0) return [];
        long step = mine[^1].Step;
        var at = mine.Where(e => e.Step == step).ToArray();
        var notReturns = at.Where(e => !IsHandlerReturn(e)).ToArray();
        return notReturns.Length > 0 ? notReturns : at;
    }

    /// <summary>The causal steps of <paramref name="c"/>'s violation, in step order, each once (its reasons joined).</summary>
    public static IReadOnlyList<CausalStep> Of(Counterexample c, IReadOnlyList<TraceEvent> offending)
    {
        var v = c.Violation;
        var events = c.Result.Events;
        var found = new List<CausalStep>();
        void Add(long step, string why) { if (step >= 0) found.Add(new CausalStep(step, why)); }
        if (offending.Count == 0) return [];
        long at = offending[0].Step;
        var stores = events.OfType<ICodeStore>().ToArray();
        var causalStores = new List<ICodeStore>();
        void AddStore(ICodeStore s, string why) { causalStores.Add(s); Add(s.Step, $"{StoreText(s)}, {why}"); }

        if (!v.OnWriter)
        {
            // The offending CPU's story starts at the torn fetch's oldest store, the visit's entry, or the trap that led into the stub.
            long from = at;
            if (v.Fetch is { } torn)
            {
                Add(torn.Step, "the torn fetch");
                foreach (var (store, missed) in StoresRead(stores, torn))
                {
                    AddStore(store, missed ? $"which the fetch at step {torn.Step} missed" : $"read by the fetch at step {torn.Step}");
                    if (!missed) from = Math.Min(from, store.Step);
                }
            }
            else
            {
                if (v.FromStep >= 0) from = Math.Min(from, v.FromStep);
                if (events.LastOrDefault(e => e is BreakpointTrapped && e.Cpu == v.Cpu && e.Step <= at) is { } trap &&
                    (v.InStubAt is not null || trap.Step >= from)) from = Math.Min(from, trap.Step);
                foreach (var e in events.Where(e => e.Cpu == v.Cpu && !e.ByWriter && e.Step >= from && e.Step <= at))
                {
                    if (e is SiteFetched f)
                        foreach (var (store, missed) in StoresRead(stores, f.Fetch))
                            if (!missed) { AddStore(store, $"read by the fetch at step {f.Step}"); Add(f.Step, "a fetch of stored bytes"); }
                    if (e is InstructionRetired { Instruction: { HostName: null } } r && LastStoreUnder(stores, r.Rip, r.Time) is { } ran)
                    {
                        AddStore(ran, $"whose bytes cpu{v.Cpu} ran at step {r.Step}");
                        Add(r.Step, "ran stored bytes");
                    }
                }
            }
            if (v.InStubAt is { } rip)
            {
                // The stub's slot: every patch wrote it; the last is the one the task is left in, the earlier ones the patches whose slot it reuses.
                var slot = stores.Where(s => Covers(s, rip) && s.Step <= at).ToArray();
                for (int i = 0; i < slot.Length; i++)
                    AddStore(slot[i], i == slot.Length - 1 ? $"the stub cpu{v.Cpu} is left in" : "an earlier patch's stub in the same slot");
                if (events.LastOrDefault(e => e.ByWriter) is { } last) Add(last.Step, "the patcher's last step: it returned with the task inside the stub");
            }
            Interrupts(events, v.Cpu, from, at, Add);
        }
        else if (v.Property == PatchCheck.Liveness)
            Waits(events, v, at, Add);
        else
        {
            // About the patcher's own work (P3's final bytes, P5, its error): its stores to the site and its last step.
            if (v.Site is { } site)
                foreach (var s in stores.Where(s => s is WriterStored && s.Address < site.Address + (ulong)site.Length && site.Address < s.Address + (ulong)s.Bytes.Length))
                    AddStore(s, $"into {site.Name}");
            if (events.LastOrDefault(e => e.ByWriter && e.Cpu == v.Cpu) is { } last) Add(last.Step, "the patcher's last step");
        }
        Syncs(events, causalStores, at, Add);
        return found.GroupBy(s => s.Step).OrderBy(g => g.Key)
            .Select(g => new CausalStep(g.Key, string.Join("; ", g.Select(s => s.Why).Distinct())))
            .ToArray();
    }

    /// <summary>For each byte of a fetch, the store it read (the last to land at or before its unit's moment), and the first it missed (landed after, for a torn fetch).</summary>
    private static IEnumerable<(ICodeStore Store, bool Missed)> StoresRead(ICodeStore[] stores, FetchRecord fetch)
    {
        for (int i = 0; i < fetch.Bytes.Length; i++)
        {
            ulong a = fetch.Rip + (ulong)i;
            long moment = fetch.Units.FirstOrDefault(u => a >= u.Start && a < u.End).Moment;
            ICodeStore? before = null, after = null;
            foreach (var s in stores.Where(s => Covers(s, a)))
            {
                if (s.TimeOf((int)(a - s.Address)) <= moment) before = s;
                else after ??= s;
            }
            if (before is not null) yield return (before, false);
            if (after is not null) yield return (after, true);
        }
    }

    /// <summary>The last store covering <paramref name="address"/> that had landed by <paramref name="time"/>.</summary>
    private static ICodeStore? LastStoreUnder(ICodeStore[] stores, ulong address, long time) =>
        stores.LastOrDefault(s => Covers(s, address) && s.TimeOf((int)(address - s.Address)) <= time);

    private static bool Covers(ICodeStore s, ulong address) => address >= s.Address && address < s.Address + (ulong)s.Bytes.Length;

    /// <summary>The trap, its handler's actions, interrupts, NMIs, preemptions and handler returns on <paramref name="cpu"/> in [from, at], and the raising of each one delivered.</summary>
    private static void Interrupts(IReadOnlyList<TraceEvent> events, int cpu, long from, long at, Action<long, string> add)
    {
        foreach (var e in events.Where(e => e.Cpu == cpu && !e.ByWriter && e.Step >= from && e.Step <= at))
        {
            switch (e)
            {
                case BreakpointTrapped: add(e.Step, "the trap"); break;
                case HandlerAction h: add(e.Step, $"the #BP handler: {h.Action}"); break;
                case HandlerStored: add(e.Step, "the #BP handler's store"); break;
                case InterruptRaised x when !events.Any(d => d is EventDelivered ed && ed.Cpu == cpu && ed.Step >= x.Step && ed.Step <= at && $"{ed.What} raised" == EventText.Of(x)):
                    add(e.Step, $"{EventText.Of(x)}, not delivered by step {at}");
                    break;
                case EventDelivered d:
                    add(e.Step, $"{d.What} delivered");
                    if (events.LastOrDefault(r => r is InterruptRaised x && x.Cpu == cpu && x.Step <= d.Step && EventText.Of(x) == $"{d.What} raised") is { } raised)
                        add(raised.Step, $"{d.What} raised (delivered at step {d.Step})");
                    break;
                case TaskSwitched or PatchingThreadSwitched when IsSwitch(e): add(e.Step, "a preemption"); break;
                case InstructionRetired when IsHandlerReturn(e): add(e.Step, EventText.Of(e).Replace(" (iretq)", "", StringComparison.Ordinal)); break;
            }
        }
    }

    /// <summary>Each causal store's writer's next sync_core before the violation: the IPI, its acknowledgements, its completion.</summary>
    private static void Syncs(IReadOnlyList<TraceEvent> events, List<ICodeStore> stores, long at, Action<long, string> add)
    {
        var after = stores.OfType<WriterStored>()
            .Select(s => (Store: s, Sent: events.OfType<SyncIpiSent>().FirstOrDefault(x => x.Cpu == s.Cpu && x.Step > s.Step && x.Step <= at)))
            .Where(x => x.Sent is not null)
            .GroupBy(x => x.Sent!);
        foreach (var g in after)
        {
            var steps = g.Select(x => x.Store.Step).Distinct().Order().ToArray();
            SyncOf(events, g.Key, at, steps.Length == 1 ? $"the sync_core after step {steps[0]}'s store" : $"the sync_core after the stores of steps {string.Join(", ", steps)}", add);
        }
    }

    private static void SyncOf(IReadOnlyList<TraceEvent> events, SyncIpiSent sent, long at, string what, Action<long, string> add)
    {
        add(sent.Step, $"{what}: its IPI");
        var done = events.OfType<SyncCompleted>().FirstOrDefault(x => x.Cpu == sent.Cpu && x.Step >= sent.Step && x.Step <= at);
        long end = done?.Step ?? at;
        foreach (var ack in events.OfType<SyncIpiAcknowledged>().Where(x => x.Step >= sent.Step && x.Step <= end && sent.Targets.Contains(x.Cpu)))
            add(ack.Step, $"cpu{ack.Cpu} acknowledged the IPI sent at step {sent.Step}");
        if (done is not null) add(done.Step, $"{what}: complete");
    }

    /// <summary>P4: what the patcher waits for (its IPI and the answers it got, the locks it holds) and, on each CPU that does not answer, its last cli/sti/popfq and the trap it sits in.</summary>
    private static void Waits(IReadOnlyList<TraceEvent> events, Violation v, long at, Action<long, string> add)
    {
        if (v.FromStep >= 0) add(v.FromStep, "where the repeating stretch begins");
        var held = new Dictionary<string, WriterAction>();
        foreach (var a in events.OfType<WriterAction>().Where(a => a.Step <= at))
        {
            if (a.What.StartsWith("lock ", StringComparison.Ordinal)) held[$"{a.Cpu}:{a.What[5..]}"] = a;
            else if (a.What.StartsWith("unlock ", StringComparison.Ordinal)) held.Remove($"{a.Cpu}:{a.What[7..]}");
        }
        foreach (var a in held.Values) add(a.Step, $"{a.What}, still held");
        if (events.OfType<SyncIpiSent>().LastOrDefault(s => s.Step <= at) is not { } sent) return;
        SyncOf(events, sent, at, "the sync_core the patcher waits for", add);
        foreach (int cpu in sent.Targets)
        {
            if (events.Any(e => e is SyncIpiAcknowledged && e.Cpu == cpu && e.Step > sent.Step && e.Step <= at)) continue;
            if (events.OfType<InstructionRetired>().LastOrDefault(r => r.Cpu == cpu && r.Step <= at &&
                    r.Instruction is { HostName: null } i && i.Instruction.Mnemonic is Mnemonic.Cli or Mnemonic.Sti or Mnemonic.Popfq) is { } flags)
                add(flags.Step, $"cpu{cpu}'s last {Disassembly.Format(flags.Instruction)}");
            if (events.LastOrDefault(e => e is BreakpointTrapped && e.Cpu == cpu && e.Step <= at) is { } trap)
            {
                add(trap.Step, $"cpu{cpu}'s last trap");
                if (events.FirstOrDefault(e => e is HandlerAction && e.Cpu == cpu && e.Step >= trap.Step) is HandlerAction h)
                    add(h.Step, $"cpu{cpu}'s #BP handler: {h.Action}");
            }
        }
    }

    private static bool IsHandlerReturn(TraceEvent e) => e is InstructionRetired { Instruction.HostName: not null };

    /// <summary>A preemption: between tasks, or between a task and the patching thread (not the "ready" and "deferred" notes).</summary>
    private static bool IsSwitch(TraceEvent e) => e is TaskSwitched || e is PatchingThreadSwitched p && p.What.Contains("switch from", StringComparison.Ordinal);

    /// <summary>A task switched out: to another task, or to the patching thread.</summary>
    private static bool IsSwitchOut(TraceEvent e) => e is TaskSwitched || e is PatchingThreadSwitched p && p.What.StartsWith("preempt: switch from", StringComparison.Ordinal);

    private static string StoreText(ICodeStore s) => s is HandlerStored ? $"the #BP handler's store to {s.Address:x}" : $"the store to {s.Address:x}";
}
