using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// Runs one execution of the exploration on a fresh <see cref="PatchRig"/> (it is the
/// <c>drive</c> of <see cref="PatchCheck.Run"/>): it follows the decisions of
/// <paramref name="prefix"/>, then takes the default of every later choice (the running CPU goes on;
/// a fetch reads the newest bytes), and records every choice it made with how many alternatives
/// it had. At a scheduling point the enabled CPUs are the alternatives: the running one first,
/// then the others in CPU order; switching away from a running CPU that could go on is a
/// preemption, allowed while fewer than <paramref name="preemptionLimit"/> were made. A chosen CPU
/// runs until it takes a visible step (<see cref="StepVisibility"/>) or can no longer run.
/// </summary>
/// <remarks>
/// A reader that has run <see cref="ExhaustiveBound.Iterations"/> iterations of the loop parks at
/// the loop's entry: it runs only to take a pending IPI (delivery and handler), as a stalled CPU
/// still would. A reader whose #BP handler sent it back to the int3 it trapped on (a retry, a spin)
/// yields: it runs again once another CPU has taken a visible step (or to take a pending IPI), since
/// retrying before anything changed repeats the same state (the trap serialized it, so its next
/// fetch has only the current bytes to read); switching away from it is free, as from a spinning
/// thread that yields in CHESS. A reader that executed a jump to itself at a site (a spin on a
/// holding instruction such as <c>eb fe</c>) yields the same way: until some other CPU's visible
/// step, its next fetch can read only versions its last fetch could read (the window between its
/// last serialization and now only narrows, and no store came), so spinning again either repeats the
/// same state or reads what the last fetch's choices already explored. The execution ends when no CPU can run, or after
/// <see cref="ExhaustiveBound.StepBudget"/> steps (then the liveness check's fair run finishes it,
/// with coherent fetches).
/// With <paramref name="visited"/> (the visited-state hashing, spec/exhaustive.md), every scheduling
/// point past the prefix is looked up: a state expanded before with at least the budgets left now
/// ends the execution there (<see cref="Pruned"/>: its futures were explored from the earlier visit),
/// and a state this very execution was in before (a cycle) ends it as the step budget does
/// (<see cref="Cycled"/>: the fair run finishes it; every way on from there was or will be explored
/// from the first time round).
/// When the patching CPU runs sites too (<see cref="PatchRigOptions.PatcherRunsSites"/>), its steps are
/// writer steps only while its patching thread has it (<see cref="IsWriterStep"/>); its tasks are
/// readers (counted, parked, yielding like any), and the timers that switch between them are explored
/// choices (<see cref="SharedCpuInterrupts"/>).
/// The state keys of the scheduling points inside the prefix are those the execution that made the
/// prefix computed (<paramref name="previous"/>, the execution before this one in depth-first order):
/// a point whose choice index is inside the prefix follows only from the prefix's earlier choices,
/// which both executions made alike (runs are deterministic), so it is taken, not computed again.
/// </remarks>
public sealed class ExecutionDriver(IReadOnlyList<Decision> prefix, int preemptionLimit, ExhaustiveBound bound, VisitedStates? visited = null,
    ExecutionDriver? previous = null) : IExplorationDrive
{
    // The key of every scheduling point this execution passed, with the choice index it stood at (kept for the next execution).
    private readonly List<(int Cursor, StateKey Key)> _keys = new();
    private readonly List<Decision> _decisions = new();
    private readonly List<ScheduleRun> _runs = new();
    private int _cursor;
    private int[] _iterations = [];   // per reader CPU: loop iterations completed, by all its tasks together
    private readonly List<ScheduledInterrupt> _interrupts = new();   // the explored deliveries, in order
    private bool[] _yielded = [];     // per reader: retried an int3 and waits for another CPU's visible step

    /// <summary>Every choice the execution made, in order.</summary>
    public IReadOnlyList<Decision> Decisions => _decisions;

    /// <summary>Preemptions the execution made.</summary>
    public int Preemptions { get; private set; }

    /// <summary>Whether the execution was cut by the step budget while some CPU could still run.</summary>
    public bool HitBudget { get; private set; }

    /// <summary>Whether the execution was cut at a state expanded before (with at least its budgets left).</summary>
    public bool Pruned { get; private set; }

    /// <summary>Whether the execution was cut where it came back to a state it had been in (then finished by the fair run).</summary>
    public bool Cycled { get; private set; }

    /// <summary>Steps the execution took (the liveness check's fair run not included).</summary>
    public long Steps { get; private set; }

    /// <summary>The fetches of site bytes the execution made, in order (what the readers saw).</summary>
    public IReadOnlyList<FetchRecord> SiteFetches { get; private set; } = [];

    /// <summary>The execution as schedule data: running it with <see cref="PatchCheck.Run"/> replays it exactly.</summary>
    public Schedule Recorded { get; private set; } = Schedule.Empty;

    /// <summary>Runs the execution on <paramref name="rig"/> without state hashing (pass it as <c>drive</c> to <see cref="PatchCheck.Run"/>).</summary>
    public void Drive(PatchRig rig) => Drive(rig, null);

    /// <summary>Runs the execution on <paramref name="rig"/>, whose patcher has been started (pass the driver as <c>explore</c> to <see cref="PatchCheck.Run"/>).</summary>
    public void Drive(PatchRig rig, EquivalentEffect? effect)
    {
        if (visited is not null && effect is null) throw new ArgumentException("state hashing needs the properties' state", nameof(effect));
        var path = visited is null ? null : new HashSet<StateKey>();
        var machine = rig.Machine;
        machine.UseFetchChoices(prefix.Where(d => d.Kind == DecisionKind.Fetch).Select(d => d.Chosen).ToArray());
        int cpus = machine.Cpus.Count;
        _iterations = new int[cpus];
        _yielded = new bool[cpus];
        var trappedAt = new ulong?[cpus];
        int current = -1, choicesSeen = 0;
        while (true)
        {
            var enabled = Enabled(rig);
            if (!enabled.Contains(true)) break;
            if (Steps >= bound.StepBudget) { HitBudget = true; break; }
            if (path is not null)
            {
                // With no preemption bound the running CPU decides nothing (every enabled CPU is an
                // alternative, and no switch is refused), so it is left out of the key (spec/exhaustive.md, "Visited states").
                var key = ReusedKey() ?? ExplorationState.Of(rig, effect!, bound.IsUnbounded ? -1 : current, _iterations, _yielded, trappedAt, _interrupts.Count);
                _keys.Add((_cursor, key));
                if (!path.Add(key)) { Cycled = true; break; }
                // Points inside the prefix were recorded by the execution that made it; only the new part is looked up.
                // With no preemption bound a state seen before is pruned whatever the budgets: no preemption budget
                // exists, and the step budget may be ignored because a "verified" then requires that no execution
                // was cut by it (ExhaustiveExplorer), so the search was the one an unlimited budget makes.
                if (_cursor >= prefix.Count && (bound.IsUnbounded
                        ? visited!.SubsumedOrAdd(key, 0, 0)
                        : visited!.SubsumedOrAdd(key, preemptionLimit - Preemptions, (int)(bound.StepBudget - Steps))))
                {
                    Pruned = true;
                    break;
                }
            }

            bool goOn = current >= 0 && enabled[current];
            var alternatives = new List<Alternative>();
            if (goOn) alternatives.Add(new Alternative(current));
            if (!goOn || Preemptions < preemptionLimit)
                for (int c = 0; c < enabled.Length; c++)
                    if (enabled[c] && c != current) alternatives.Add(new Alternative(c));
            if (_interrupts.Count < bound.Interrupts)
            {
                ExploredInterrupts.Offer(machine, rig.WriterCpu, current, onlyCurrent: goOn && Preemptions >= preemptionLimit, bound.Reduce, alternatives);
                if (rig.Options.PatcherRunsSites)
                    SharedCpuInterrupts.Offer(machine, rig.WriterCpu, enabled, current, onlyCurrent: goOn && Preemptions >= preemptionLimit, bound.Reduce, alternatives);
            }
            var pick = alternatives[Decide(DecisionKind.Schedule, alternatives.Count, taken: null)];
            int cpu = pick.Cpu;
            if (pick.Interrupt is { } raised)
            {
                // Raised just before the CPU's step (the schedule's "before step N"), so a replay raises it at the same point.
                var x = new ScheduledInterrupt(machine.Steps, cpu, raised);
                machine.Raise(x);
                _interrupts.Add(x);
                _yielded[cpu] = false;   // it has something to do now
            }
            if (goOn && cpu != current) Preemptions++;
            current = cpu;

            // The chosen CPU runs to its next visible step, or until it cannot go on.
            while (true)
            {
                var before = StepVisibility.Before(machine, cpu);
                bool writer = IsWriterStep(rig, cpu);   // decided before the step: a writer step may switch the patching thread out
                var kind = machine.Step(cpu);
                Steps++;
                if (_runs.Count > 0 && _runs[^1].Cpu == cpu) _runs[^1] = _runs[^1] with { Steps = _runs[^1].Steps + 1 };
                else _runs.Add(new ScheduleRun(cpu, 1));
                ulong rip = machine.Cpus[cpu].State.Rip;
                if (!writer && kind == MachineStepKind.Instruction && StepVisibility.InText(before.Rip) && rip == Workload.Entry)
                    _iterations[cpu]++;
                bool cannotMatter = bound.Reduce && !writer && StepVisibility.ChoicesCannotMatter(machine, before);
                for (; choicesSeen < machine.FetchChoicesTaken.Count; choicesSeen++)
                    Decide(DecisionKind.Fetch, cannotMatter ? 1 : machine.FetchChoiceOptions[choicesSeen], machine.FetchChoicesTaken[choicesSeen]);
                bool visible = !bound.Reduce || writer || StepVisibility.IsVisible(machine, cpu, kind, before);
                // A reader that spun on a jump to itself at a site (a holding instruction such as eb fe)
                // yields. The spin changed nothing any other CPU can see (it only read), so a CPU that
                // yielded before it stays yielded: two spinners do not wake each other.
                if (visible && bound.Reduce && !writer && (StepVisibility.SpunInPlace(machine, cpu, kind, before) || StepVisibility.PausedForLock(machine, kind, before))) _yielded[cpu] = true;
                else if (visible)
                {
                    // Something another CPU may see happened: a CPU that yielded may find it changed.
                    for (int c = 0; c < cpus; c++) if (c != cpu) _yielded[c] = false;
                    // On a shared CPU a patching thread's step is another thread's: the CPU's task may find it changed.
                    if (writer) _yielded[cpu] = false;
                    if (kind == MachineStepKind.Trap) trappedAt[cpu] = before.Rip;
                    // A #BP handler that sends the CPU back to the int3 it trapped on (a retry) yields.
                    else if (bound.Reduce && before.Rip == PatchRig.BreakpointEntry && rip == trappedAt[cpu]) _yielded[cpu] = true;
                }
                if (visible || !Enabled(rig)[cpu]) break;
                if (Steps >= bound.StepBudget) break;
            }
        }
        previous = null;   // its keys are used up: let it go (else every execution would keep the one before alive)
        CheckTextOutsideSites(rig);
        SiteFetches = machine.Fetches.ToArray();
        Recorded = new Schedule(_runs.ToArray(), _interrupts.ToArray(), machine.FetchChoicesTaken.Take(choicesSeen).ToArray());
    }

    /// <summary>
    /// The key of the scheduling point now, when the previous execution passed the same point: one
    /// whose choice index lies inside this execution's prefix (the point follows from the choices
    /// before it, all the prefix's, the previous execution's too), at the same place in its list of points.
    /// </summary>
    private StateKey? ReusedKey()
    {
        if (previous is null || _cursor >= prefix.Count || _keys.Count >= previous._keys.Count) return null;
        var (cursor, key) = previous._keys[_keys.Count];
        return cursor == _cursor ? key : null;
    }

    /// <summary>
    /// The choice at the next position: the prefix's while it lasts (checked against what the run
    /// offers now, which must be the same: runs are deterministic), then the default 0. A fetch
    /// choice has already been made by the machine (<paramref name="taken"/>), from the same list.
    /// </summary>
    private int Decide(DecisionKind kind, int options, int? taken)
    {
        int chosen = 0;
        if (_cursor < prefix.Count)
        {
            var p = prefix[_cursor];
            if (p.Kind != kind || (kind == DecisionKind.Schedule && p.Options != options))
                throw new InvalidOperationException($"exhaustive replay diverged at choice {_cursor}: expected {p}, the run offers {kind} with {options} option(s)");
            chosen = p.Chosen;
        }
        if (taken is { } t)
        {
            if (t != chosen) throw new InvalidOperationException($"exhaustive replay diverged at choice {_cursor}: fetch choice {t} taken, {chosen} expected");
            if (chosen >= options) throw new InvalidOperationException($"exhaustive replay diverged at choice {_cursor}: fetch choice {chosen} of a fetch that cannot matter");
        }
        _cursor++;
        _decisions.Add(new Decision(kind, chosen, options));
        return chosen;
    }

    /// <summary>
    /// Per CPU, whether it can run: the machine's view, less the readers that wait for something to
    /// change (nothing deliverable pending): a reader parked at the loop's entry once its iterations
    /// are done, and a reader that yielded after a retried int3 or a spin in place while no other CPU has taken a visible step.
    /// </summary>
    private bool[] Enabled(PatchRig rig)
    {
        var enabled = rig.Machine.EnabledCpus().ToArray();
        for (int c = 0; c < enabled.Length; c++)
        {
            if (IsWriterStep(rig, c) || !enabled[c] || Deliverable(rig.Machine.Cpus[c])) continue;
            bool parked = _iterations[c] >= bound.Iterations && rig.Machine.Cpus[c].State.Rip == Workload.Entry;
            if (parked || _yielded[c]) enabled[c] = false;
        }
        return enabled;
    }

    /// <summary>
    /// Whether the next step of <paramref name="cpu"/> is a writer step: every step of the patching
    /// CPU, unless it runs sites too (<see cref="PatchRigOptions.PatcherRunsSites"/>): then only
    /// while the patching thread has it; its tasks' steps are reader steps (visible or not, parked,
    /// yielding) as on any other CPU.
    /// </summary>
    private static bool IsWriterStep(PatchRig rig, int cpu) =>
        cpu == rig.WriterCpu && (!rig.Options.PatcherRunsSites || rig.Machine.WriterHolds(cpu));

    /// <summary>Whether an event is pending that the CPU takes at its next step.</summary>
    private static bool Deliverable(Cpu cpu)
    {
        var s = cpu.State;
        return (cpu.NmiPending && !s.NmiBlocked) || (cpu.HasPendingInterrupts && s.InterruptsEnabled && s.Shadow == InterruptShadow.None);
    }

    /// <summary>
    /// The reduction treats fetches of text outside the sites (and the padding changes own) as reading bytes no writer changes; a
    /// patcher (or handler) that writes there breaks that assumption, and the exploration stops.
    /// </summary>
    private static void CheckTextOutsideSites(PatchRig rig)
    {
        var text = rig.Machine.Memory.Find(Workload.TextBase)!.Bytes.AsSpan();
        var code = rig.Workload.Code.AsSpan();
        int from = 0;
        // The code writers may change: the sites and the padding a change owns (PatchRequest.Padding),
        // which the machine watches as it does the sites (its fetches are visible steps).
        var changeable = rig.Machine.Options.WatchedCode.OrderBy(r => r.Start).Select(r => ((ulong Address, int Length)?)(r.Start, (int)(r.End - r.Start)));
        foreach (var site in changeable.Append(null))
        {
            // Compare [from, next site) at once (vectorized), then skip the site.
            int to = Math.Max(from, site is null ? text.Length : (int)(site.Value.Address - Workload.TextBase));
            int differs = text[from..to].CommonPrefixLength(code[from..to]);
            if (from + differs < to)
            {
                int i = from + differs;
                throw new ExhaustiveAssumptionException(
                    $"{rig.Patcher.Name} changed text outside its sites (0x{Workload.TextBase + (ulong)i:x}: {code[i]:x2} -> {text[i]:x2}); the exhaustive reduction assumes writers change only sites and stubs");
            }
            if (site is not null) from = Math.Max(from, (int)(site.Value.Address - Workload.TextBase) + site.Value.Length);
        }
    }
}

/// <summary>A scenario broke an assumption the exhaustive reduction rests on; its "verified" would not be sound.</summary>
public sealed class ExhaustiveAssumptionException(string message) : Exception(message);
