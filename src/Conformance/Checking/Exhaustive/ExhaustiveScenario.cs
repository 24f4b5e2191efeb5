using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// The small scenario the exhaustive mode explores for one patcher (spec/exhaustive.md): 2 or 3
/// CPUs (the last patches, the others each run one or two tasks of the workload loop), 1 or 2 sites
/// patched in one batch (and, with <see cref="Patches"/> 2, patched back in a second one), no
/// interrupts but the patcher's sync IPIs and those the explorer delivers as choices (a preempting
/// timer, which switches a reader CPU to its second task; an NMI in an STI shadow when
/// <see cref="NmiMayEndStiShadow"/>), and staleness bounded only by serialization. Each site is
/// placed where it tears easily: site 0 two bytes before a 64-byte
/// line (Rostedt's split, which also splits a 16- and a 32-byte block), site 1 straddling a 32-byte
/// (and 16-byte) block inside a line. A patcher that declines a place, kind or change gets the
/// next in a fixed order, as the generators do, so every scheme gets a scenario it accepts.
/// </summary>
public sealed record ExhaustiveScenario(string Patcher, int Cpus, int SiteCount, bool InterruptsOff, PatchCase Case, IReadOnlyList<Transition> Transitions)
{
    /// <summary>Preferred line offsets: site 0 straddles a 64-byte line after 2 bytes; site 1 a 32-byte block inside a line.</summary>
    public static readonly int[] PreferredOffsets = [62, 30];
    /// <summary>Sites are this far apart (each in its own 64-byte lines, tails included).</summary>
    public const ulong SiteStride = 0x80;
    public const int Targets = 4;
    /// <summary>The most consecutive patches (batches) a scenario has: the first, and the same sites patched back.</summary>
    public const int MaxPatches = 2;
    /// <summary>The most sites a scenario has.</summary>
    public const int MaxSites = 2;

    /// <summary>Tasks on each reader CPU: 2 give a preempting timer a task to switch to (a task preempted wherever it was, inside a stub too).</summary>
    public int TasksPerCpu => Case.TasksPerCpu;

    /// <summary>Consecutive patches: 1 (the batch), or 2 (then the same sites patched back, as the next static-call update does: a reused stub is rewritten).</summary>
    public int Patches => Case.Batches.Count;

    /// <summary>Whether an NMI may land in an STI shadow and end it (the machine's switch; the NMI row of a patcher whose expectations name it).</summary>
    public bool NmiMayEndStiShadow { get; init; }

    private static readonly SiteKind[] Kinds = [SiteKind.Call, SiteKind.CsCall, SiteKind.Nop5, SiteKind.Jmp, SiteKind.Trampoline, SiteKind.Short];

    /// <summary>
    /// The scenario for <paramref name="patcher"/>, or null when it declines every place and change
    /// for some site (<paramref name="declined"/> then says why).
    /// </summary>
    /// <param name="patcher">The patcher (its <c>Accepts</c> decides places and changes).</param>
    /// <param name="cpus">2 or 3.</param>
    /// <param name="sites">1 or 2.</param>
    /// <param name="declined">Why there is no scenario, when there is none.</param>
    /// <param name="interruptsOff">Run every site inside an IRQs-off region (<c>cli</c> before, <c>sti</c> after), as code under a spinlock taken with IRQs off.</param>
    /// <param name="adjacent">With 2 sites: site 1 right after site 0's tail (the loop's <c>jmp</c>), so that both can share a fetch block, instead of in the next 128-byte slot.</param>
    /// <param name="tasks">Tasks per reader CPU: 1, or 2 (a preempting timer switches between them).</param>
    /// <param name="patches">Consecutive patches: 1, or 2 (the second patches every site back to where it came from, or on to the next target the patcher accepts).</param>
    /// <param name="nmiMayEndStiShadow">The machine's NMI-in-STI-shadow switch.</param>
    /// <param name="variant">The sites' kind, change and ABI (<see cref="SiteVariant"/>); null: the default (first accepted kind, a retarget, the C ABI).</param>
    /// <param name="spinlock">Run every site under a spinlock taken with IRQs off (<see cref="SiteSpec.Spinlock"/>; implies <paramref name="interruptsOff"/>): every task takes the same lock word.</param>
    /// <param name="writerRunsSites">The patching CPU runs the sites too (<see cref="PatchCase.PatcherRunsSites"/>): its patching thread shares it with <paramref name="tasks"/> tasks; then 1 CPU is a scenario.</param>
    public static ExhaustiveScenario? For(IPatcher patcher, int cpus, int sites, out string? declined, bool interruptsOff = false, bool adjacent = false,
        int tasks = 1, int patches = 1, bool nmiMayEndStiShadow = false, SiteVariant? variant = null, bool spinlock = false, bool writerRunsSites = false)
    {
        interruptsOff |= spinlock;
        variant ??= SiteVariant.Default;
        if (tasks is < 1 or > 2) throw new ArgumentException($"tasks = {tasks}: a reader CPU of the exhaustive scenario has 1 or 2 tasks");
        if (patches is < 1 or > MaxPatches) throw new ArgumentException($"patches = {patches}: the exhaustive scenario has 1 or 2 consecutive patches");
        if (adjacent && sites != 2) throw new ArgumentException($"sites = {sites}: adjacent sites need 2");
        if (cpus < (writerRunsSites ? 1 : 2) || cpus > 3) throw new ArgumentException($"cpus = {cpus}: the exhaustive scenario has 2 or 3 CPUs{(writerRunsSites ? " (or 1, the patching CPU running the sites)" : "")}");
        if (sites is < 1 or > 2) throw new ArgumentException($"sites = {sites}: the exhaustive scenario has 1 or 2 sites");
        var specs = new List<SiteSpec>();
        var changes = new List<PlannedChange>();
        var again = new List<PlannedChange>();
        var transitions = new List<Transition>();
        for (int i = 0; i < sites; i++)
        {
            var at = adjacent && i == 1 ? specs[0].Address + (ulong)Workload.LengthOf(specs[0].Kind) + Workload.TailLength(specs[0].Kind) : (ulong?)null;
            if (Place(patcher, i, at, variant, out string? why) is not { } placed)
            {
                declined = $"{patcher.Name} declines every place and change tried for site {i}{(variant.IsDefault ? "" : $" ({variant})")}: {why}";
                return null;
            }
            specs.Add(placed.Spec with { InterruptsOff = interruptsOff, Spinlock = spinlock });
            changes.Add(new PlannedChange(i, placed.From, placed.To));
            transitions.Add(placed.Transition);
            if (patches == 2)
            {
                if (Back(patcher, placed) is not { } back)
                {
                    declined = $"{patcher.Name} declines every second patch tried for site {i} (from t{placed.To})";
                    return null;
                }
                again.Add(new PlannedChange(i, placed.To, back.To));
                transitions.Add(back.Transition);
            }
        }
        declined = null;
        IReadOnlyList<IReadOnlyList<PlannedChange>> batches = patches == 2 ? [changes, again] : [changes];
        var c = new PatchCase(specs, batches, cpus, Schedule.Empty) { Targets = Targets, StalenessWindow = long.MaxValue, TasksPerCpu = tasks, PatcherRunsSites = writerRunsSites };
        return new ExhaustiveScenario(patcher.Name, cpus, sites, interruptsOff, c, transitions) { NmiMayEndStiShadow = nmiMayEndStiShadow, Variant = variant };
    }

    /// <summary>The sites' kind, change and ABI as asked for (<see cref="SiteVariant.Default"/>: the first accepted change, the C ABI).</summary>
    public SiteVariant Variant { get; init; } = SiteVariant.Default;

    /// <summary>Whether every site runs under a spinlock taken with IRQs off (then <see cref="InterruptsOff"/> too).</summary>
    public bool Spinlock => Case.Sites.Any(s => s.Spinlock);

    /// <summary>Whether the patching CPU runs the sites too (its patching thread and tasks switched by preempting timers, spec/exhaustive.md).</summary>
    public bool WriterRunsSites => Case.PatcherRunsSites;

    /// <summary>The callers' ABI of the sites.</summary>
    public Abi Abi => Variant.Abi;

    /// <summary>
    /// Every site kind and transition <paramref name="patcher"/> accepts in this scenario (its
    /// <c>Accepts</c> decides), one variant each, per ABI of <paramref name="abis"/>, in a fixed order
    /// (kinds as the default scenario tries them, transitions as the kind's targets give them). A
    /// <see cref="SiteKind.Nop5"/> site is a <see cref="SiteKind.Call"/> site that starts as its NOP (the same
    /// bytes), so a transition already listed for a call site is not listed again for it.
    /// </summary>
    public static IReadOnlyList<SiteVariant> Variants(IPatcher patcher, int cpus, int sites, IReadOnlyList<Abi> abis, bool interruptsOff = false,
        int tasks = 1, int patches = 1, bool nmiMayEndStiShadow = false)
    {
        var list = new List<SiteVariant>();
        foreach (var abi in abis)
        {
            var seen = new HashSet<(SiteKind, Transition)>();
            foreach (var kind in Kinds)
                foreach (var t in TransitionsOf(kind))
                {
                    var family = kind == SiteKind.Nop5 ? SiteKind.Call : kind;
                    if (seen.Contains((family, t))) continue;
                    var v = new SiteVariant(kind, t, abi);
                    if ((For(patcher, cpus, sites, out _, interruptsOff, tasks: tasks, patches: patches, nmiMayEndStiShadow: nmiMayEndStiShadow, variant: v)
                         ?? (patches > 1 ? For(patcher, cpus, sites, out _, interruptsOff, tasks: tasks, patches: 1, nmiMayEndStiShadow: nmiMayEndStiShadow, variant: v) : null)) is null) continue;
                    seen.Add((family, t));
                    list.Add(v);
                }
        }
        return list;
    }

    /// <summary>The transitions a site of <paramref name="kind"/> can make between its targets (and its NOP form), in the order its pairs come.</summary>
    private static IReadOnlyList<Transition> TransitionsOf(SiteKind kind)
    {
        var site = new PatchSite("s0", SlotOf(0) + (ulong)PreferredOffsets[0], kind, Workload.LengthOf(kind));
        var targets = TargetsOf(kind);
        var workload = Workload.Build([new SiteSpec(site.Name, site.Address, kind, targets[0])], Targets);
        return (from f in targets from t in targets where f != t
                let r = workload.Request(0, f, t)
                select new Transition(Forms.Classify(site.Address, r.Old), Forms.Classify(site.Address, r.New))).Distinct().ToArray();
    }

    private static int[] TargetsOf(SiteKind kind) => kind == SiteKind.Short ? [-1, 0] : [0, 1, 2, 3, -1];

    /// <summary>The line offset of each site (its address mod 64).</summary>
    public IReadOnlyList<int> Offsets => Case.Sites.Select(s => (int)(s.Address % 64)).ToArray();

    /// <summary>The layout class the sites' offsets stand for (spec/exhaustive.md), when the scenario was placed by class; null for the preferred placement.</summary>
    public string? Layout { get; init; }

    /// <summary>
    /// The scenario <see cref="For"/> makes, with site <c>i</c> moved to line offset
    /// <paramref name="offsets"/>[i] of its slot: the same kinds, changes and targets, only the
    /// layout differs. Null when the patcher declines a site or change there (<paramref name="declined"/> says which).
    /// </summary>
    public static ExhaustiveScenario? At(IPatcher patcher, int cpus, int sites, IReadOnlyList<int> offsets, out string? declined, bool interruptsOff = false,
        int tasks = 1, int patches = 1, bool nmiMayEndStiShadow = false, SiteVariant? variant = null, bool spinlock = false, bool writerRunsSites = false)
    {
        if (offsets.Count != sites) throw new ArgumentException($"{offsets.Count} line offset(s) for {sites} site(s)");
        return For(patcher, cpus, sites, out declined, interruptsOff, tasks: tasks, patches: patches, nmiMayEndStiShadow: nmiMayEndStiShadow, variant: variant, spinlock: spinlock,
                writerRunsSites: writerRunsSites) is { } basis
            ? basis.Moved(patcher, offsets, out declined) : null;
    }

    /// <summary>This scenario with site <c>i</c> at line offset <paramref name="offsets"/>[i] of its slot, its changes kept; null when the patcher declines one there.</summary>
    public ExhaustiveScenario? Moved(IPatcher patcher, IReadOnlyList<int> offsets, out string? declined)
    {
        if (offsets.Count != SiteCount) throw new ArgumentException($"{offsets.Count} line offset(s) for {SiteCount} site(s)");
        if (offsets.Any(o => o is < 0 or > 63)) throw new ArgumentException($"line offsets {string.Join(",", offsets)}: each is 0 to 63");
        declined = null;
        if (Offsets.SequenceEqual(offsets)) return this;
        var specs = Case.Sites.ToList();
        for (int i = 0; i < SiteCount; i++)
        {
            specs[i] = specs[i] with { Address = SlotOf(i) + (ulong)offsets[i] };
            if (Candidate(patcher, this, specs, i, out string? why) is null)
            {
                declined = $"{patcher.Name} declines site {i} ({specs[i].Kind}, t{Case.Batches[0][i].From}->t{Case.Batches[0][i].To}) at line offset {offsets[i]}: {why}";
                return null;
            }
        }
        return this with { Case = Case with { Sites = specs } };
    }

    /// <summary>
    /// The line offsets site <paramref name="index"/> of this scenario may take, the others staying
    /// where they are, with the old and new bytes of its change there: the offsets at which the patcher
    /// accepts the same kind and change.
    /// </summary>
    public IReadOnlyList<LayoutCandidate> Candidates(IPatcher patcher, int index)
    {
        var list = new List<LayoutCandidate>();
        for (int offset = 0; offset < 64; offset++)
        {
            var specs = Case.Sites.ToList();
            specs[index] = specs[index] with { Address = SlotOf(index) + (ulong)offset };
            if (Candidate(patcher, this, specs, index, out _) is { } c) list.Add(c with { Offset = offset });
        }
        return list;
    }

    /// <summary>The first byte of site <paramref name="index"/>'s slot (line offset 0).</summary>
    public static ulong SlotOf(int index) => Workload.SiteArea + (ulong)index * SiteStride;

    private static LayoutCandidate? Candidate(IPatcher patcher, ExhaustiveScenario basis, IReadOnlyList<SiteSpec> specs, int index, out string? why)
    {
        Workload workload;
        try { workload = Workload.Build(specs, Targets); }
        catch (ArgumentException e) { why = e.Message; return null; }
        var site = workload.Sites[index];
        var decision = patcher.Accepts(site);
        if (!decision.Accepted) { why = decision.Fallback; return null; }
        var change = basis.Case.Batches[0][index];
        var request = workload.Request(index, change.From, change.To);
        decision = patcher.Accepts(request);
        if (!decision.Accepted) { why = decision.Fallback; return null; }
        // A second patch of the site must be accepted there too.
        foreach (var later in basis.Case.Batches.Skip(1).SelectMany(b => b).Where(ch => ch.Site == index))
            if (patcher.Accepts(workload.Request(index, later.From, later.To)) is { Accepted: false } no) { why = no.Fallback; return null; }
        why = null;
        return new LayoutCandidate((int)(site.Address % 64), request.Old, request.New);
    }

    /// <summary>Explores this scenario (its case and NMI switch) within <paramref name="bound"/> (<see cref="ExhaustiveExplorer"/>).</summary>
    public ExhaustiveResult Explore(Func<IPatcher> create, IFetchModel model, ExhaustiveBound bound, bool stopAtFirst = true,
        Action<ExecutionDriver, CaseResult>? observe = null) =>
        ExhaustiveExplorer.Explore(create, model, Case, bound, stopAtFirst, observe, NmiMayEndStiShadow);

    /// <summary>The same scenario running <paramref name="schedule"/> (a recorded execution, to replay it).</summary>
    public PatchCase WithSchedule(Schedule schedule) => Case with { Schedule = schedule };

    /// <summary>
    /// What the patcher's declared expectations say of this scenario under <paramref name="model"/>
    /// (the sites' ABI, the scenario's NMI switch): fail if some change (of either patch) is expected to fail, else
    /// undecided if some is, else pass; with the failure kind history gives.
    /// </summary>
    public (ExpectedVerdict Verdict, FailureKind? Failure) Expectation(IReadOnlyList<Expectation> rules, string model)
    {
        var applying = Transitions.Select(t => Expect.For(rules, model, t, Abi, NmiMayEndStiShadow)).ToArray();
        if (applying.FirstOrDefault(e => e?.Verdict == ExpectedVerdict.Fail) is { } fail) return (ExpectedVerdict.Fail, fail.Failure);
        return applying.Any(e => e?.Verdict == ExpectedVerdict.Undecided) ? (ExpectedVerdict.Undecided, null) : (ExpectedVerdict.Pass, null);
    }

    /// <summary>
    /// When the failure <paramref name="rules"/> expect under <paramref name="model"/> applies only to
    /// the second patch's transition (a variant row, <c>--transitions all</c>: <c>call->nop</c>, then
    /// back <c>nop->call</c>) and is not a reused stub (the one failure that needs a patch before it):
    /// that transition's own row, where it is the first patch, shows it within the bound, while here
    /// the reader must keep a loop iteration through the whole first patch, which costs a preemption
    /// per sync (measured: <c>int3-emulate-call-no-gap [call call->nop]</c> needs 3). The transition,
    /// else null.
    /// </summary>
    public Transition? FailsOnlyInSecondPatch(IReadOnlyList<Expectation> rules, string model, FailureKind kind)
    {
        if (Patches < 2 || Variant.Kind is null || kind == FailureKind.ReusedStub) return null;
        bool Fails(Transition t) => Expect.For(rules, model, t, Abi, NmiMayEndStiShadow)?.Verdict == ExpectedVerdict.Fail;
        var first = Enumerable.Range(0, SiteCount).Select(i => Transitions[i * Patches]).ToArray();
        var second = Enumerable.Range(0, SiteCount).Select(i => Transitions[i * Patches + 1]).ToArray();
        return first.Any(Fails) ? null : second.Cast<Transition?>().FirstOrDefault(t => Fails(t!.Value));
    }

    /// <summary>
    /// Why this scenario, explored within <paramref name="bound"/>, cannot show a failure of
    /// <paramref name="kind"/>, or null when it can (spec/exhaustive.md, "Out of reach"): a reused
    /// stub needs a task left inside a stub while a patch completes, so a second task and a
    /// preempting timer (an interrupt bound of 1 or more); with the NMI switch on, an NMI in the
    /// <c>sti</c> shadow and then either a pending preempting timer (2 interrupts) or a second patch
    /// that rewrites the stub; a deadlock of the kind history names needs a site run with IRQs off; a
    /// torn fetch needs a second CPU (on one, the tasks are the patching CPU's own, which serialize when they resume).
    /// </summary>
    public string? OutOfReach(FailureKind kind, ExhaustiveBound bound) => kind switch
    {
        FailureKind.ReusedStub when TasksPerCpu < 2 && !(NmiMayEndStiShadow && Patches == 2) =>
            "a reused stub needs a task left inside it when a patch completes: a second task per CPU and a preempting timer (--interrupts 1 or more)",
        FailureKind.ReusedStub when bound.Interrupts < 1 => "a reused stub needs a task preempted inside it: --interrupts 1 or more",
        FailureKind.ReusedStub when NmiMayEndStiShadow && InterruptsOff =>
            "the sti stub is taken only from a site run with IRQs on (with IF=0 the #BP handler picks the plain stub, which no interrupt can enter)",
        FailureKind.ReusedStub when InterruptsOff =>
            "a task is left inside a stub only by a preempting timer, and no interrupt is delivered where every site runs with IRQs off (--irqs on or both)",
        FailureKind.ReusedStub when NmiMayEndStiShadow && bound.Interrupts < 2 =>
            "the sti stub is left early only after an NMI ends its shadow; a task is then left inside it by the preempting timer the NMI lets in (2 interrupts)",
        FailureKind.Deadlock when !InterruptsOff => "the deadlock needs a site run with IRQs off (--irqs off or both)",
        FailureKind.Deadlock when Cpus == 1 && bound.Interrupts < 1 =>
            "on one CPU the deadlock needs the patching thread preempted with its int3 in place: --interrupts 1 or more",
        // On one CPU every reader is a task of the patching CPU, which runs only after an iretq (a serialization) that follows the thread's stores.
        FailureKind.TornDecode when Cpus == 1 => "a torn fetch needs a reader on another CPU: the patching CPU's own tasks resume through iretq after its stores, which serializes (--cpus 2 or 3)",
        _ => null,
    };

    public override string ToString() =>
        $"{Cpus} CPUs, {(Layout is { } layout ? $"layout {layout}: " : "")}{string.Join(", ", Case.Sites.Select((s, i) => $"{s.Name} {s.Kind} at 0x{s.Address:x} (line offset {s.Address % 64}) {string.Join(" then ", Case.Batches.Select((b, k) => $"{Transitions[i * Patches + k]} t{b[i].From}->t{b[i].To}"))}"))}" +
        $"{(Abi != Abi.C ? ", callee-saved ABI" : "")}{(Spinlock ? ", sites run under a spinlock taken with IRQs off" : InterruptsOff ? ", sites run with IRQs off" : "")}{(TasksPerCpu > 1 ? $", {TasksPerCpu} tasks per reader CPU" : "")}{(WriterRunsSites ? ", the patching CPU runs the sites too" : "")}{(NmiMayEndStiShadow ? ", an NMI may end the STI shadow" : "")}";

    private sealed record Placed(SiteSpec Spec, int From, int To, Transition Transition);

    /// <summary>Site <paramref name="index"/> at a preferred offset of its slot, or exactly at <paramref name="at"/> when given.</summary>
    private static Placed? Place(IPatcher patcher, int index, ulong? at, SiteVariant variant, out string? why)
    {
        why = at is { } a ? $"no site kind is accepted at 0x{a:x}" : "no site kind is accepted at any line offset";
        var offsets = new[] { PreferredOffsets[index % 2], PreferredOffsets[(index + 1) % 2] }.Concat(Enumerable.Range(0, 64)).Distinct().ToArray();
        foreach (var kind in variant.Kind is { } only ? [only] : Kinds)
            foreach (int offset in at is null ? offsets : [0])
            {
                ulong address = at ?? Workload.SiteArea + (ulong)index * SiteStride + (ulong)offset;
                var site = new PatchSite($"s{index}", address, kind, Workload.LengthOf(kind), variant.Abi);
                var decision = patcher.Accepts(site);
                if (!decision.Accepted) { why = decision.Fallback; continue; }
                if (Change(patcher, index, site, variant.Transition) is { } placed) return placed;
                why = $"no {(variant.Transition is { } t ? $"{t} " : "")}change of a {kind} site is accepted";
            }
        return null;
    }

    /// <summary>
    /// The second patch of a placed site: back to where it came from if the patcher accepts that,
    /// else on to the first other target it accepts (in the order <see cref="Change"/> tries).
    /// </summary>
    private static Placed? Back(IPatcher patcher, Placed placed)
    {
        int[] targets = TargetsOf(placed.Spec.Kind);
        Workload workload;
        try { workload = Workload.Build([placed.Spec with { Target = placed.From }], Targets); }
        catch (ArgumentException) { return null; }
        foreach (int to in targets.Where(t => t != placed.To).OrderBy(t => t == placed.From ? 0 : 1))
        {
            var request = workload.Request(0, placed.To, to);
            if (!patcher.Accepts(request).Accepted) continue;
            var transition = new Transition(Forms.Classify(placed.Spec.Address, request.Old), Forms.Classify(placed.Spec.Address, request.New));
            return placed with { From = placed.To, To = to, Transition = transition };
        }
        return null;
    }

    /// <summary>
    /// Target index -> the far target (<see cref="Workload.FirstFarTarget"/>) if accepted, else the
    /// first accepted pair in a fixed order (-1: the NOP form). A retarget to a far target changes
    /// every byte of the rel32 (<see cref="Workload.FarDistance"/>); to a near one only its low
    /// bytes change, and a fetch split between unchanged bytes cannot tear: jmp targets are 0x20
    /// apart, so a near jmp retarget changes rel32's first byte alone, and v8-jump-table's slot at
    /// line offset 30 (split after e9 and that byte) was "verified" under block32 (a false pass).
    /// </summary>
    private static Placed? Change(IPatcher patcher, int index, PatchSite site, Transition? only = null)
    {
        int[] targets = TargetsOf(site.Kind);
        var pairs = new[] { (From: index % Workload.FirstFarTarget, To: Workload.FirstFarTarget) }
            .Concat(from f in targets from t in targets where f != t select (From: f, To: t))
            .Where(p => targets.Contains(p.From) && targets.Contains(p.To)).Distinct().ToArray();
        var candidates = new List<(Placed Placed, int Differ)>();
        foreach (var (from, to) in pairs)
        {
            var spec = new SiteSpec(site.Name, site.Address, site.Kind, from, site.Abi);
            Workload workload;
            try { workload = Workload.Build([spec], Targets); }
            catch (ArgumentException) { return null; }
            var request = workload.Request(0, from, to);
            var transition = new Transition(Forms.Classify(site.Address, request.Old), Forms.Classify(site.Address, request.New));
            if (only is { } t && transition != t) continue;
            if (!patcher.Accepts(request).Accepted) continue;
            var placed = new Placed(spec, from, to, transition);
            // The default takes the first accepted pair (its far retarget first), as it always has.
            if (only is null) return placed;
            candidates.Add((placed, request.Old.Zip(request.New).Count(b => b.First != b.Second)));
        }
        // A chosen transition takes the accepted pair whose bytes differ in the most places (the first of those): a tear shows only there.
        return candidates.Count == 0 ? null : candidates.MaxBy(c => c.Differ).Placed;
    }
}
