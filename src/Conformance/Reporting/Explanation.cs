using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Iced.Intel;

namespace Conformance.Reporting;

/// <summary>
/// Why a counterexample violates its property, in plain sentences (Elle-style): what was observed,
/// where each byte of a torn fetch came from, and what the old and the new instruction would have
/// done, and the steps it depends on (<see cref="CausalSet"/>). <see cref="Landmarks"/> are the steps
/// the sentences name (every "step N" and both ends of a "steps N to M"), which a timeline keeps in view
/// even when they fall outside its window; <see cref="LineSteps"/> says which line names which.
/// </summary>
public sealed record Explanation(IReadOnlyList<string> Lines, IReadOnlyList<long> Landmarks)
{
    /// <summary>The instructions the violation's site may legitimately hold (old, new, int3), side by side in the HTML page.</summary>
    public IReadOnlyList<SiteVersion> Versions { get; init; } = [];

    /// <summary>Per line of <see cref="Lines"/>, the steps it names (a subset of <see cref="Landmarks"/>).</summary>
    public IReadOnlyList<IReadOnlyList<long>> LineSteps { get; init; } = [];

    public static Explanation Of(Counterexample c) => Of(c, CausalSet.Of(c, CausalSet.Offending(c.Result.Events, c.Violation)));

    /// <summary>The explanation of <paramref name="c"/>, ending with the steps it depends on (<paramref name="causes"/>) said in one sentence.</summary>
    public static Explanation Of(Counterexample c, IReadOnlyList<CausalStep> causes)
    {
        var v = c.Violation;
        var lines = new List<string>();
        var landmarks = new List<long>();
        var lineSteps = new List<IReadOnlyList<long>>();
        int said = 0;
        // The steps the lines added since the last call name: the landmarks added meanwhile, the same for each of those lines.
        void Named(params long[] more)
        {
            landmarks.AddRange(more);
            var steps = landmarks.Skip(said).Where(s => s >= 0).Distinct().Order().ToArray();
            said = landmarks.Count;
            while (lineSteps.Count < lines.Count) lineSteps.Add(steps);
        }
        switch (v.Property)
        {
            case OldNewOrTrap.Id when v.Fetch is { } fetch:
                TornFetch(c, v, fetch, lines, landmarks);
                break;
            case EquivalentEffect.Id:
                lines.Add($"cpu{v.Cpu}'s task entered {SiteName(v)} at step {v.FromStep}; the visit ended at step {v.Step}, and its effect is neither the old nor the new instruction's.");
                Named(v.FromStep, v.Step);
                lines.Add($"Observed: {AfterColon(v.Message)}");
                break;
            case PatchCheck.Completion:
                var last = c.Result.Events.LastOrDefault(e => e.ByWriter);
                lines.Add($"The patcher returned{(last is null ? "" : $" (its last step was step {last.Step}: {EventText.Of(last)})")}, but the patch is not complete: {v.Message}.");
                if (last is not null) landmarks.Add(last.Step);
                break;
            case PatchCheck.Liveness:
                Liveness(c, v, lines, landmarks);
                break;
            default:
                lines.Add($"{v.Property} on cpu{v.Cpu} at step {v.Step}: {v.Message}");
                landmarks.Add(v.Step);
                break;
        }
        Named();
        if (v.InStubAt is { } stubRip) { InStub(c, v, stubRip, causes, lines, landmarks); Named(); }
        if (causes.Count > 0)
        {
            lines.Add("It depends on: " + string.Join("; ", causes.Select(x => $"step {x.Step} ({x.Why})")) + ". Every one of these steps is shown.");
            Named(causes.Select(x => x.Step).ToArray());
        }
        var versions = v.Site is { } site
            ? VersionsOf(c, site).Select(x => new SiteVersion(x.Role, x.Bytes, Disassembly.Format(site.Address, x.Bytes), Effect(site, x.Bytes))).ToArray()
            : [];
        foreach (var x in versions) lines.Add($"{x.Role}: {Disassembly.Hex(x.Bytes)} ({x.Text}) would {x.Effect}.");
        if (c.Result.Violations.Count > 1)
            lines.Add($"The run also violates: {string.Join(", ", c.Result.Violations.Skip(1).Select(x => x.Property).Distinct())} (consequences of the first; see --json).");
        Named();
        if (v.Site is not null && versions.Length > 0)
            versions = [.. versions, new SiteVersion("Trap", [Forms.Int3], "int3", "trap to the patcher's #BP handler")];
        return new Explanation(lines, landmarks.Where(s => s >= 0).Distinct().Order().ToArray()) { Versions = versions, LineSteps = lineSteps };
    }

    /// <summary>P1: the fetch, its units and moments, each byte's origin, and what the CPU did with the bytes.</summary>
    private static void TornFetch(Counterexample c, Violation v, FetchRecord fetch, List<string> lines, List<long> landmarks)
    {
        string where = v.Site is { } site ? $"{site.Name}+{fetch.Rip - site.Address} (0x{fetch.Rip:x})" : $"0x{fetch.Rip:x}";
        var units = EventText.Units(fetch).ToArray();
        landmarks.Add(fetch.Step);
        lines.Add($"At step {fetch.Step} cpu{fetch.Cpu} fetched the instruction at {where}, at t={fetch.Time}. Under the {c.Model} fetch model it read " +
                  $"{units.Length} unit{(units.Length == 1 ? "" : "s")}: " +
                  string.Join("; ", units.Select(u => $"[0x{u.Unit.Start:x}, 0x{u.Unit.End:x}) as it was at t={u.Unit.Moment}" +
                                                      (u.Unit.Moment < fetch.Time ? " (stale: before the fetch)" : ""))) + ".");
        lines.Add($"It got {Disassembly.Hex(fetch.Bytes)} and decoded {Disassembly.Format(fetch.Instruction)} ({fetch.Instruction?.Length ?? 0} bytes). Byte by byte:");
        var stores = c.Result.Events.OfType<ICodeStore>().ToArray();
        for (int i = 0; i < fetch.Bytes.Length; i++)
        {
            ulong a = fetch.Rip + (ulong)i;
            long moment = fetch.Units.FirstOrDefault(u => a >= u.Start && a < u.End).Moment;
            var (before, after) = Around(stores, a, moment);
            string origin = before is { } b ? $"{Who(c, b.Store)}'s store at step {b.Store.Step} (t={b.Time})" : "as it was before the patch";
            if (before is { } bs) landmarks.Add(bs.Store.Step);
            string next = "";
            if (after is { } n)
            {
                landmarks.Add(n.Store.Step);
                next = n.Time <= fetch.Time
                    ? $"; stale: {Who(c, n.Store)}'s store of {n.Value:x2} at step {n.Store.Step} (t={n.Time}) had already landed"
                    : $"; {Who(c, n.Store)}'s store of {n.Value:x2} came later, at step {n.Store.Step} (t={n.Time})";
            }
            lines.Add($"  0x{a:x} = {fetch.Bytes[i]:x2}: {origin}{next}");
        }
        lines.Add($"That is neither the old nor the new instruction at that address, nor an int3 {(Writers(c) > 1 ? "either patcher" : "the patcher")} wrote. " +
                  $"What cpu{fetch.Cpu} did with it: {Outcome(c, fetch)}.");
    }

    /// <summary>The last store to <paramref name="address"/> at or before <paramref name="moment"/>, and the first after it.</summary>
    private static ((ICodeStore Store, long Time, byte Value)? Before, (ICodeStore Store, long Time, byte Value)? After) Around(
        IEnumerable<ICodeStore> stores, ulong address, long moment)
    {
        (ICodeStore, long, byte)? before = null, after = null;
        foreach (var s in stores)
        {
            if (address < s.Address || address >= s.Address + (ulong)s.Bytes.Length) continue;
            int i = (int)(address - s.Address);
            long t = s.TimeOf(i);
            if (t <= moment) before = (s, t, s.Bytes[i]);
            else if (after is null) after = (s, t, s.Bytes[i]);
        }
        return (before, after);
    }

    /// <summary>Who stored: the #BP handler, or the patcher, named by its CPU (as its lane is) when two patches run at once.</summary>
    private static string Who(Counterexample c, ICodeStore s) =>
        s is HandlerStored ? "the #BP handler"
        : s is TraceEvent e && Writers(c) > 1 ? $"the patcher (cpu{e.Cpu})"
        : "the patcher";

    /// <summary>How many CPUs ran a patcher's steps (two when a second patch of the site ran at once).</summary>
    private static int Writers(Counterexample c) => c.Result.Events.Where(x => x.ByWriter).Select(x => x.Cpu).Distinct().Count();

    /// <summary>What the fetching CPU did in the same step: executed something, or faulted.</summary>
    private static string Outcome(Counterexample c, FetchRecord fetch)
    {
        var then = c.Result.Events.Where(e => e.Step == fetch.Step && e.Cpu == fetch.Cpu && e is not SiteFetched).ToArray();
        return then.FirstOrDefault() switch
        {
            CpuFaulted f => $"it faulted ({f.Fault})",
            InstructionRetired r => $"it executed {Disassembly.Format(r.Instruction)}",
            BreakpointTrapped => "it trapped",
            null => "nothing more in that step",
            var e => EventText.Of(e),
        };
    }

    /// <summary>P4: the livelock (or the budget that ran out), what the patcher waits for, and why those CPUs never answer.</summary>
    private static void Liveness(Counterexample c, Violation v, List<string> lines, List<long> landmarks)
    {
        var events = c.Result.Events;
        var wait = events.OfType<WriterWaits>().LastOrDefault(w => w.Step <= v.Step);
        string waiting = wait is null ? "" : $" while the patcher waits for {wait.For}";
        bool livelock = v.Message.StartsWith("livelock", StringComparison.Ordinal);
        lines.Add(livelock
            ? $"The patcher never finishes: after step {v.Step} the machine is back in the state it had before step {v.FromStep}{waiting}, so under the fair schedule (every CPU in turn) it loops for ever. The rows marked * are the cycle."
            : $"The patcher did not finish within the fair run's budget (steps {v.FromStep} to {v.Step}){waiting}.");
        landmarks.Add(v.FromStep);
        landmarks.Add(v.Step);
        if (events.OfType<SyncIpiSent>().LastOrDefault(s => s.Step <= v.Step) is not { } sent) return;
        landmarks.Add(sent.Step);
        foreach (int cpu in sent.Targets)
        {
            if (events.Any(e => e is SyncIpiAcknowledged && e.Cpu == cpu && e.Step > sent.Step)) continue;
            if (!events.Any(e => e.Cpu == cpu && !e.ByWriter)) continue;   // runs no code: acknowledges at once
            bool delivered = events.Any(e => e is EventDelivered { Vector: Machine.Machine.SyncIpiVector } && e.Cpu == cpu && e.Step > sent.Step);
            var flags = events.OfType<InstructionRetired>().LastOrDefault(r => r.Cpu == cpu && r.Step <= v.Step &&
                r.Instruction is { HostName: null } i && i.Instruction.Mnemonic is Mnemonic.Cli or Mnemonic.Sti or Mnemonic.Popfq);
            string why = delivered ? "it took the IPI but never acknowledged it"
                : $"the IPI was never delivered: a maskable IPI waits while IF=0" +
                  (flags is null ? "" : $" (its last cli/sti/popfq: {Disassembly.Format(flags.Instruction)} at step {flags.Step})");
            if (flags is not null) landmarks.Add(flags.Step);
            var cycle = events.Where(e => e.Cpu == cpu && !e.ByWriter && e.Step >= v.FromStep && e.Step <= v.Step && e is not SiteFetched)
                .Select(EventText.Of).Distinct().Take(4).ToArray();
            lines.Add($"cpu{cpu} has not acknowledged the sync_core IPI sent at step {sent.Step}: {why}." +
                      (cycle.Length > 0 ? $" Meanwhile it runs: {string.Join("; ", cycle)}." : ""));
        }
    }

    /// <summary>A task left in a reused stub: how it got there (the trap, the handler), what took it off its CPU there, and who wrote the stub's slot.</summary>
    private static void InStub(Counterexample c, Violation v, ulong rip, IReadOnlyList<CausalStep> causes, List<string> lines, List<long> landmarks)
    {
        var events = c.Result.Events;
        var switched = CausalSet.Offending(events, v).FirstOrDefault();
        if (switched is null) return;
        var trap = events.LastOrDefault(e => e is BreakpointTrapped && e.Cpu == v.Cpu && e.Step <= switched.Step);
        var handler = trap is null ? null : events.OfType<HandlerAction>().FirstOrDefault(h => h.Cpu == v.Cpu && h.Step >= trap.Step);
        // What was delivered while the task ran the stub (an NMI in an STI shadow, the timer that preempts it), from the trap on.
        var delivered = events.OfType<EventDelivered>().Where(d => d.Cpu == v.Cpu && d.Step <= switched.Step && d.Step >= (trap?.Step ?? 0) &&
            events.OfType<ICodeStore>().Any(s => d.Rip >= s.Address && d.Rip < s.Address + (ulong)s.Bytes.Length)).ToArray();
        var slot = events.OfType<ICodeStore>().Where(s => rip >= s.Address && rip < s.Address + (ulong)s.Bytes.Length && s.Step <= switched.Step).ToArray();
        string how = trap is null ? "" : $"cpu{v.Cpu} trapped at step {trap.Step}" + (handler is null ? "; " : $" and its #BP handler sent it on ({handler.Action}) at step {handler.Step}; ");
        string took = delivered.Length == 0 ? "it was preempted"
            : string.Join(", ", delivered.Select(d => $"the {d.What} delivered at 0x{d.Rip:x} at step {d.Step}{Shadow(d)}")) + (delivered.Length == 1 ? " preempted it" : "; the last preempted it");
        string wrote = slot.Length == 0 ? "" : slot.Length == 1
            ? $" The stub's bytes there are the patcher's store at step {slot[0].Step}."
            : $" The stub's slot was written by each patch: at steps {string.Join(", ", slot.Select(s => s.Step))}; the next patch reuses it.";
        lines.Add($"How the task was left in the stub: {how}{took} inside the stub, at 0x{rip:x}, and at step {switched.Step} it was switched out ({EventText.Of(switched)}).{wrote}");
        if (trap is not null) landmarks.Add(trap.Step);
        if (handler is not null) landmarks.Add(handler.Step);
        landmarks.AddRange(delivered.Select(d => d.Step));
        landmarks.AddRange(delivered.Select(StiBefore).OfType<InstructionRetired>().Select(r => r.Step));

        // The sti whose shadow the delivery fell in: the CPU's last instruction before it, with no other
        // delivery on the CPU in between (other CPUs may have stepped meanwhile: the shadow lasts until
        // this CPU's next instruction, however many machine steps later).
        InstructionRetired? StiBefore(EventDelivered d) =>
            events.OfType<InstructionRetired>().LastOrDefault(r => r.Cpu == d.Cpu && r.Step < d.Step) is { Instruction: { HostName: null } i } r &&
            i.Instruction.Mnemonic == Mnemonic.Sti && !events.OfType<EventDelivered>().Any(o => o.Cpu == d.Cpu && o.Step > r.Step && o.Step < d.Step) ? r : null;
        string Shadow(EventDelivered d) => StiBefore(d) is { } sti ? $" (in the STI shadow of the sti at step {sti.Step})" : "";
        landmarks.Add(switched.Step);
        landmarks.AddRange(slot.Select(s => s.Step));
    }

    /// <summary>The old and new instructions the site holds in the plan (each distinct version once).</summary>
    private static IEnumerable<(byte[] Bytes, string Role)> VersionsOf(Counterexample c, PatchSite site)
    {
        var mine = c.Result.Requests.Where(r => r.Site == site).ToArray();
        var seen = new List<byte[]>();
        foreach (var (bytes, role) in mine.SelectMany((r, k) => new[] { (r.Old, mine.Length > 1 ? $"Old ({k + 1})" : "Old"), (r.New, mine.Length > 1 ? $"New ({k + 1})" : "New") }))
        {
            if (seen.Any(s => s.AsSpan().SequenceEqual(bytes))) continue;
            seen.Add(bytes);
            yield return (bytes, role);
        }
    }

    /// <summary>What an instruction does at the site, run alone.</summary>
    public static string Effect(PatchSite site, byte[] bytes) => Forms.Classify(site.Address, bytes) switch
    {
        InstructionClass.Call => $"push 0x{site.Next:x} and go to 0x{Forms.Target(site.Address, bytes):x}",
        InstructionClass.Jmp => $"go to 0x{Forms.Target(site.Address, bytes):x}",
        InstructionClass.Nop => $"go on at 0x{site.Next:x}",
        InstructionClass.Ret => "return to its caller",
        _ => "do something other than a call, jump, NOP or ret",
    };

    private static string SiteName(Violation v) => v.Site is { } s ? $"{s.Name} (0x{s.Address:x})" : "the site";

    /// <summary>The part of a visit message after "visit of sN (from step K): ".</summary>
    private static string AfterColon(string message)
    {
        int i = message.IndexOf("): ", StringComparison.Ordinal);
        return i < 0 ? message : message[(i + 3)..];
    }
}

/// <summary>One instruction a site may hold: its role (old, new, trap), bytes, Iced text, and what it does run alone.</summary>
public sealed record SiteVersion(string Role, byte[] Bytes, string Text, string Effect);
