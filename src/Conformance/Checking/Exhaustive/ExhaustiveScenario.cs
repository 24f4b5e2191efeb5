using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// The small scenario the exhaustive mode explores for one patcher (spec/exhaustive.md): 2 or 3
/// CPUs (the last patches, the others each run one task of the workload loop), 1 or 2 sites
/// patched in one batch, no interrupts but the patcher's sync IPIs, and staleness bounded only by
/// serialization. Each site is placed where it tears easily: site 0 two bytes before a 64-byte
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
    public static ExhaustiveScenario? For(IPatcher patcher, int cpus, int sites, out string? declined, bool interruptsOff = false, bool adjacent = false)
    {
        if (adjacent && sites != 2) throw new ArgumentException($"sites = {sites}: adjacent sites need 2");
        if (cpus is < 2 or > 3) throw new ArgumentException($"cpus = {cpus}: the exhaustive scenario has 2 or 3 CPUs");
        if (sites is < 1 or > 2) throw new ArgumentException($"sites = {sites}: the exhaustive scenario has 1 or 2 sites");
        var specs = new List<SiteSpec>();
        var changes = new List<PlannedChange>();
        var transitions = new List<Transition>();
        for (int i = 0; i < sites; i++)
        {
            var at = adjacent && i == 1 ? specs[0].Address + (ulong)Workload.LengthOf(specs[0].Kind) + Workload.TailLength(specs[0].Kind) : (ulong?)null;
            if (Place(patcher, i, at, out string? why) is not { } placed)
            {
                declined = $"{patcher.Name} declines every place and change tried for site {i}: {why}";
                return null;
            }
            specs.Add(placed.Spec with { InterruptsOff = interruptsOff });
            changes.Add(new PlannedChange(i, placed.From, placed.To));
            transitions.Add(placed.Transition);
        }
        declined = null;
        var c = new PatchCase(specs, [changes], cpus, Schedule.Empty) { Targets = Targets, StalenessWindow = long.MaxValue };
        return new ExhaustiveScenario(patcher.Name, cpus, sites, interruptsOff, c, transitions);
    }

    /// <summary>The same scenario running <paramref name="schedule"/> (a recorded execution, to replay it).</summary>
    public PatchCase WithSchedule(Schedule schedule) => Case with { Schedule = schedule };

    /// <summary>
    /// What the patcher's declared expectations say of this scenario under <paramref name="model"/>
    /// (caller ABI C, NMI switch off): fail if some site's change is expected to fail, else
    /// undecided if some is, else pass; with the failure kind history gives.
    /// </summary>
    public (ExpectedVerdict Verdict, FailureKind? Failure) Expectation(IReadOnlyList<Expectation> rules, string model)
    {
        var applying = Transitions.Select(t => Expect.For(rules, model, t, Abi.C, nmiMayEndStiShadow: false)).ToArray();
        if (applying.FirstOrDefault(e => e?.Verdict == ExpectedVerdict.Fail) is { } fail) return (ExpectedVerdict.Fail, fail.Failure);
        return applying.Any(e => e?.Verdict == ExpectedVerdict.Undecided) ? (ExpectedVerdict.Undecided, null) : (ExpectedVerdict.Pass, null);
    }

    /// <summary>
    /// Why this scenario cannot show a failure of <paramref name="kind"/>, or null when it can: a
    /// reused stub needs a task preempted inside a stub and a later patch that rewrites it (the
    /// scenario has one task per CPU, no timer and one batch); a deadlock of the kind history names
    /// needs a site run with IRQs off.
    /// </summary>
    public string? OutOfReach(FailureKind kind) => kind switch
    {
        FailureKind.ReusedStub => "a reused stub needs a task preempted inside it and a second patch; the scenario has one task per CPU, no timer, one batch",
        FailureKind.Deadlock when !InterruptsOff => "the deadlock needs a site run with IRQs off (--irqs-off)",
        _ => null,
    };

    public override string ToString() =>
        $"{Cpus} CPUs, {string.Join(", ", Case.Sites.Select((s, i) => $"{s.Name} {s.Kind} at 0x{s.Address:x} (line offset {s.Address % 64}) {Transitions[i]} t{Case.Batches[0][i].From}->t{Case.Batches[0][i].To}"))}{(InterruptsOff ? ", sites run with IRQs off" : "")}";

    private sealed record Placed(SiteSpec Spec, int From, int To, Transition Transition);

    /// <summary>Site <paramref name="index"/> at a preferred offset of its slot, or exactly at <paramref name="at"/> when given.</summary>
    private static Placed? Place(IPatcher patcher, int index, ulong? at, out string? why)
    {
        why = at is { } a ? $"no site kind is accepted at 0x{a:x}" : "no site kind is accepted at any line offset";
        var offsets = new[] { PreferredOffsets[index % 2], PreferredOffsets[(index + 1) % 2] }.Concat(Enumerable.Range(0, 64)).Distinct().ToArray();
        foreach (var kind in Kinds)
            foreach (int offset in at is null ? offsets : [0])
            {
                ulong address = at ?? Workload.SiteArea + (ulong)index * SiteStride + (ulong)offset;
                var site = new PatchSite($"s{index}", address, kind, Workload.LengthOf(kind));
                var decision = patcher.Accepts(site);
                if (!decision.Accepted) { why = decision.Fallback; continue; }
                if (Change(patcher, index, site) is { } placed) return placed;
                why = $"no change of a {kind} site is accepted";
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
    private static Placed? Change(IPatcher patcher, int index, PatchSite site)
    {
        int[] targets = site.Kind == SiteKind.Short ? [-1, 0] : [0, 1, 2, 3, -1];
        var pairs = new[] { (From: index % Workload.FirstFarTarget, To: Workload.FirstFarTarget) }
            .Concat(from f in targets from t in targets where f != t select (From: f, To: t))
            .Where(p => targets.Contains(p.From) && targets.Contains(p.To));
        foreach (var (from, to) in pairs)
        {
            var spec = new SiteSpec(site.Name, site.Address, site.Kind, from);
            Workload workload;
            try { workload = Workload.Build([spec], Targets); }
            catch (ArgumentException) { return null; }
            var request = workload.Request(0, from, to);
            if (!patcher.Accepts(request).Accepted) continue;
            var transition = new Transition(Forms.Classify(site.Address, request.Old), Forms.Classify(site.Address, request.New));
            return new Placed(spec, from, to, transition);
        }
        return null;
    }
}
