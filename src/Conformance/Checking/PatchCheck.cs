using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking;

/// <summary>
/// Runs one <see cref="PatchCase"/> for one patcher under one fetch model and checks the
/// properties of spec/properties.md: P1 old-new-or-trap on every fetch at a site, P2 equivalent
/// effect of every visit (and the new effect after completion), P3 completion (the final bytes are
/// the new instruction; no int3 left), P4 liveness (the patch completes under a fair schedule within
/// the budget; a repeated state while it waits is a livelock), P5 single writer (with a concurrent
/// patch, a site both patches change ends as one of their new instructions, never a mix).
/// </summary>
public static class PatchCheck
{
    public const string Completion = "P3-completion", Liveness = "P4-liveness", SingleWriter = "P5-single-writer";
    /// <summary>The writer failed: it threw, or stored bytes the suite refuses (spec/patchers.md).</summary>
    public const string PatcherError = Violation.PatcherError;

    /// <summary>
    /// Checks one case. <paramref name="drive"/>, when given, runs the scheduled part of the run in
    /// place of <see cref="PatchCase.Schedule"/>, choosing each step as it goes (the exhaustive
    /// explorer); the fair run for liveness and every check follow as usual.
    /// </summary>
    public static CaseResult Run(Func<IPatcher> create, IFetchModel model, PatchCase c, bool nmiMayEndStiShadow = false, bool recordTrace = false,
        Action<PatchRig>? drive = null, IExplorationDrive? explore = null)
    {
        var patcher = create();
        if (c.Sites.Count == 0) return new CaseResult([], 0, []) { Schedule = c.Schedule };   // the patcher declined every site: nothing to check
        var workload = WorkloadCache.Build(c.Sites, c.Targets);
        var rig = RigPool.Rent(patcher, workload, new PatchRigOptions
        {
            Cpus = c.Cpus, FetchModel = model, NmiMayEndStiShadow = nmiMayEndStiShadow, RecordTrace = recordTrace, StalenessWindow = c.StalenessWindow,
            TasksPerCpu = c.TasksPerCpu, InterruptsOffCpus = c.InterruptsOffCpus, PatcherRunsSites = c.PatcherRunsSites,
        });
        var batches = c.Batches.Select(b => b.Select(ch => workload.Request(ch.Site, ch.From, ch.To)).ToArray()).ToArray();
        var rival = c.Concurrent.Select(ch => workload.Request(ch.Site, ch.From, ch.To)).ToArray();
        var all = batches.SelectMany(b => b).Concat(rival).ToArray();
        var effect = new EquivalentEffect(rig, all);
        var violations = new List<Violation>();

        // The batches run one after another on the patching CPU, as consecutive patches do.
        rig.Patch(batches.Length == 0 ? [] : batches[0]);
        if (rival.Length > 0) rig.PatchConcurrently(rival);
        int next = 1;
        rig.Machine.AfterStep += (cpu, kind) =>
        {
            if (next < batches.Length && rig.Machine.WritersDone && cpu == rig.WriterCpu) rig.Patch(batches[next++]);
        };
        Schedule? followed = c.Schedule;   // what ran: the schedule, the strategy's picks as runs, or (driven) not known here
        if (drive is not null) { drive(rig); followed = null; }
        else if (explore is not null) { explore.Drive(rig, effect); followed = null; }
        else if (c.Exploration is { } x) followed = rig.Machine.Explore(x.Strategy, x.Seed, x.Steps, c.Schedule.Interrupts, c.Schedule.FetchChoices);
        else rig.Machine.Run(c.Schedule);
        // A repeated state proves a livelock only where the fingerprint sees all the state the #BP
        // handler decides by: the built-in catalog's handlers keep none of their own beyond what their
        // steps set. Anyone else's (a plug-in, a test's mutant) must also go the whole progress window.
        bool trusted = patcher is not GuardedPatcher && patcher.GetType().Assembly == typeof(IPatcher).Assembly   // the guard lives here; its plug-in does not
                       && !Patching.Mutants.MutantRegistry.IsMutant(patcher.GetType());                      // nor do the mutants' handlers
        // A run the explorer cut at a state it explored before: what follows from here was checked
        // there (the fair run, completion, open visits); only what happened up to the cut is new.
        if (explore is { Pruned: true }) return Prefix(rig, patcher, workload, all, effect, followed, c);
        var live = rig.Machine.RunFair(c.LivenessWindowSteps, stopAtCycle: trusted);
        long stall = live.LongestStall;
        while (next < batches.Length && live.Verdict == LivenessVerdict.Completed)
        {
            rig.Patch(batches[next++]);
            live = rig.Machine.RunFair(c.LivenessWindowSteps, stopAtCycle: trusted);
            stall = Math.Max(stall, live.LongestStall);
        }

        if (OldNewOrTrap.FirstViolation(rig.Machine.Fetches, [.. all, .. PaddingChecks.AsRequests(workload, all)], patcher) is { } torn) violations.Add(torn);
        violations.AddRange(effect.Violations);
        // What is found now, the run having ended, is at the run's last step (the steps are 0 to Steps - 1).
        long end = LastStep(rig), clock = rig.Machine.Memory.Now;
        if (rig.WroteOutside is { } outside)
            violations.Add(new Violation(OwnerMap.Violation, outside.Cpu, outside.Step, outside.Time, outside.Message) { OnWriter = true });
        if (rig.Failure is { } failure && failure != rig.WroteOutside?.Message)
            violations.Add(new Violation(Violation.PatcherError, rig.WriterCpu, end, clock, failure) { OnWriter = true, AtRunEnd = true });
        if (live.Verdict != LivenessVerdict.Completed)
            violations.Add(new Violation(Liveness, rig.WriterCpu, end, clock, live.ToString())
                { FromStep = live.Verdict == LivenessVerdict.Livelock ? live.CycleStart : rig.Machine.Steps - live.Steps, OnWriter = true, AtRunEnd = true });
        else
        {
            // No task may be left suspended inside a stub the patcher may reuse for its next patch.
            foreach (var task in patcher.ReusesStubs ? rig.Machine.Tasks : [])
            {
                ulong rip = rig.Machine.RipOf(task);
                if (rip >= rig.Stubs.Base && rip < rig.Stubs.Base + Workload.StubSize)
                    violations.Add(new Violation(Completion, task.Cpu, end, clock,
                        $"after the patcher returned, {task} is still inside the patcher's stub at 0x{rip:x}: the next patch may rewrite it under the task") { AtRunEnd = true, InStubAt = rip });
            }
        }
        if (live.Verdict == LivenessVerdict.Completed)
            foreach (var site in workload.Sites)
                if (FinalBytes(rig, site, batches.SelectMany(b => b).LastOrDefault(r => r.Site == site), rival.LastOrDefault(r => r.Site == site)) is { } v)
                    violations.Add(v);
        if (live.Verdict == LivenessVerdict.Completed) violations.AddRange(PaddingChecks.FinalBytes(rig, batches.SelectMany(b => b).Concat(rival)));
        return new CaseResult(Earliest(violations), rig.Machine.Steps, rig.Machine.Trace) { Events = rig.Machine.Events, WriterCpu = rig.WriterCpu, Requests = all, Schedule = followed, LongestStall = stall, LivenessWindowSteps = c.LivenessWindowSteps };
    }

    /// <summary>What a run cut short by the explorer violated up to the cut: P1 on its fetches, P2 on its closed visits, the patcher's errors.</summary>
    private static CaseResult Prefix(PatchRig rig, IPatcher patcher, Workload workload, PatchRequest[] all, EquivalentEffect effect, Schedule? followed, PatchCase c)
    {
        var violations = new List<Violation>();
        if (OldNewOrTrap.FirstViolation(rig.Machine.Fetches, [.. all, .. PaddingChecks.AsRequests(workload, all)], patcher) is { } torn) violations.Add(torn);
        violations.AddRange(effect.Violations);
        if (rig.WroteOutside is { } outside)
            violations.Add(new Violation(OwnerMap.Violation, outside.Cpu, outside.Step, outside.Time, outside.Message) { OnWriter = true });
        if (rig.Failure is { } failure && failure != rig.WroteOutside?.Message)
            violations.Add(new Violation(Violation.PatcherError, rig.WriterCpu, LastStep(rig), rig.Machine.Memory.Now, failure) { OnWriter = true, AtRunEnd = true });
        return new CaseResult(Earliest(violations), rig.Machine.Steps, rig.Machine.Trace)
            { Events = rig.Machine.Events, WriterCpu = rig.WriterCpu, Requests = all, Schedule = followed, LivenessWindowSteps = c.LivenessWindowSteps };
    }

    /// <summary>The run's last step, where a violation found once it had ended is placed (0 when it took none).</summary>
    public static long LastStep(PatchRig rig) => Math.Max(0, rig.Machine.Steps - 1);

    /// <summary>
    /// The violations in the order they happened: by the step of the offending event (one found when
    /// the run had ended after those found during its last step), then by property (a patcher's error
    /// first, then P1..P5), so the first is the earliest, and what came later (often its consequence)
    /// follows. Stable: one property's violations keep their order.
    /// </summary>
    public static IReadOnlyList<Violation> Earliest(IEnumerable<Violation> violations) =>
        violations.OrderBy(v => v.Step < 0 ? long.MaxValue : v.Step).ThenBy(v => v.AtRunEnd).ThenBy(v => Rank(v.Property)).ToArray();

    /// <summary>The tie-break between violations at one step: the patcher's own error, then the properties by number.</summary>
    private static int Rank(string property) => property switch
    {
        Violation.PatcherError or OwnerMap.Violation => 0,
        _ when property.Length > 1 && property[0] == 'P' && char.IsAsciiDigit(property[1]) => property[1] - '0',
        _ => 10,
    };

    /// <summary>
    /// P3 (the site holds the new instruction once the patcher returned) and, where two patches
    /// changed the site at once, P5 (it holds one of their new instructions, not a mix of both).
    /// </summary>
    private static Violation? FinalBytes(PatchRig rig, PatchSite site, PatchRequest? mine, PatchRequest? rival)
    {
        var bytes = rig.Bytes(site);
        var finals = new[] { mine, rival }.OfType<PatchRequest>().ToArray();
        if (finals.Length == 0 || finals.Any(r => bytes.AsSpan().SequenceEqual(r.New))) return null;
        if (finals.Length == 1)
            return new Violation(Completion, rig.WriterCpu, LastStep(rig), rig.Machine.Memory.Now,
                $"after the patcher returned, {site.Name} holds {Forms.Hex(bytes)}, not the new instruction {Forms.Hex(finals[0].New)}") { Site = site, OnWriter = true, AtRunEnd = true };
        return new Violation(SingleWriter, rig.ConcurrentCpu, LastStep(rig), rig.Machine.Memory.Now,
            $"two patches of {site.Name} ran at once (to {Forms.Hex(mine!.New)} on cpu{rig.WriterCpu}, to {Forms.Hex(rival!.New)} on cpu{rig.ConcurrentCpu}); " +
            $"it ends holding {Forms.Hex(bytes)}, a mix: {Mix(bytes, mine.New, rival.New)}") { Site = site, OnWriter = true, AtRunEnd = true };
    }

    /// <summary>Which patch each byte came from: "a" (first), "b" (concurrent), "=" (both), "?" (neither).</summary>
    private static string Mix(byte[] bytes, byte[] a, byte[] b) =>
        string.Join(" ", bytes.Select((x, i) => (i < a.Length && x == a[i], i < b.Length && x == b[i]) switch
        {
            (true, true) => "=",
            (true, false) => "a",
            (false, true) => "b",
            _ => "?",
        })) + " (a: the first patch's byte, b: the concurrent one's, =: both)";
}

/// <summary>
/// Runs the scheduled part of a case in place of its schedule, seeing the properties' state (the
/// exhaustive explorer, <see cref="Exhaustive.ExecutionDriver"/>), and may cut the run at a state
/// already explored (<see cref="Pruned"/>): then <see cref="PatchCheck.Run"/> checks only what
/// happened up to the cut.
/// </summary>
public interface IExplorationDrive
{
    void Drive(PatchRig rig, EquivalentEffect effect);

    /// <summary>Whether the run was cut at a state explored before.</summary>
    bool Pruned { get; }
}
