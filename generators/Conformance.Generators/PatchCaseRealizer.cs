using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Generators;

/// <summary>
/// Maps a <see cref="PatchCaseGenome"/> onto a <see cref="PatchCase"/> a patcher accepts: each site
/// takes the first kind, from the genome's choice on, that the patcher accepts at the genome's line
/// offset (or at a nearby offset); each change the first transition, from the genome's on, the
/// patcher accepts. One CPU means the patching CPU runs the sites too (nothing else would); a
/// concurrent patch needs a second CPU. Deterministic, so a genome names one case for one patcher.
/// </summary>
public static class PatchCaseRealizer
{
    private static readonly SiteKind[] Kinds = { SiteKind.Call, SiteKind.Nop5, SiteKind.Jmp, SiteKind.CsCall, SiteKind.Trampoline, SiteKind.Short };
    /// <summary>Sites are this far apart, so each one's tail fits before the next.</summary>
    public const ulong SiteStride = 0x80;
    public const int Targets = 4;

    /// <summary>The genome's kind number that names <paramref name="kind"/> (a genome's kind is tried first, then the next ones).</summary>
    public static int KindIndex(SiteKind kind) => Array.IndexOf(Kinds, kind);

    public static PatchCase Realize(PatchCaseGenome g, IPatcher patcher)
    {
        var sites = new List<SiteSpec>();
        var first = new List<PlannedChange>();
        var second = new List<PlannedChange>();
        var rival = new List<PlannedChange>();
        int cpus = Math.Clamp(g.Cpus, 1, 8);
        foreach (var sg in g.Sites)
        {
            int index = sites.Count;
            if (Place(sg, index, patcher) is not { } placed) continue;
            sites.Add(placed.Spec);
            first.Add(new PlannedChange(index, placed.From, placed.To));
            if (placed.Again is { } again) second.Add(new PlannedChange(index, placed.To, again));
            if (cpus >= 2 && placed.Rival is { } other) rival.Add(new PlannedChange(index, placed.From, other));
        }
        bool runsSites = g.PatcherRunsSites || cpus == 1;
        int readers = runsSites ? cpus : cpus - 1;   // interrupts go to CPUs that run x86 code
        // An explored genome's runs give only the number of steps; the strategy picks each one.
        var runs = g.Explore is null ? g.Runs.Select(r => new ScheduleRun(Mod(r.Cpu, cpus), Math.Max(0, r.Steps))).ToArray() : [];
        long total = g.Runs.Sum(r => (long)Math.Max(0, r.Steps));
        long steps = Math.Max(1, total);
        var interrupts = g.Interrupts.Select(i => new ScheduledInterrupt(Mod(i.At, (int)Math.Min(steps, int.MaxValue)), Mod(i.Cpu, readers), (InterruptKind)Mod(i.Kind, 3), i.InShadow)).ToArray();
        var schedule = new Schedule(runs, interrupts, g.FetchChoices.Select(c => Math.Max(0, c)).ToArray());
        IReadOnlyList<IReadOnlyList<PlannedChange>> batches = second.Count > 0 ? [first, second] : first.Count > 0 ? [first] : [];
        return new PatchCase(sites, batches, cpus, schedule)
        {
            Targets = Targets,
            TasksPerCpu = Math.Clamp(g.TasksPerCpu, 1, 3),
            PatcherRunsSites = runsSites,
            Concurrent = rival,
            Exploration = g.Explore is { } x
                ? new ScheduleExploration(ScheduleSearch.Get(x.Strategy).Strategy ?? throw new ArgumentException($"'{x.Strategy}' is not an adaptive strategy"),
                    x.Seed, (int)Math.Min(total, int.MaxValue))
                : null,
        };
    }

    private static int Mod(int value, int n) => n <= 0 ? 0 : ((value % n) + n) % n;

    private sealed record Placed(SiteSpec Spec, int From, int To, int? Again, int? Rival);

    private static Placed? Place(SiteGenome g, int index, IPatcher patcher)
    {
        for (int k = 0; k < Kinds.Length; k++)
        {
            var kind = Kinds[Mod(g.Kind + k, Kinds.Length)];
            for (int d = 0; d < 64; d++)
            {
                int offset = Mod(g.Offset + d, 64);
                ulong address = Workload.SiteArea + (ulong)index * SiteStride + (ulong)offset;
                var site = new PatchSite($"s{index}", address, kind, Workload.LengthOf(kind), g.CalleeSaved ? Abi.CalleeSaved : Abi.C);
                if (!patcher.Accepts(site).Accepted) continue;
                if (Transition(g, kind, site, patcher) is { } t) return t;
            }
        }
        return null;
    }

    /// <summary>The genome's transition if the patcher accepts it, else the first accepted one in a fixed order.</summary>
    private static Placed? Transition(SiteGenome g, SiteKind kind, PatchSite site, IPatcher patcher)
    {
        var targets = TargetsOf(kind);
        int from = targets[Mod(g.From, targets.Length)];
        var tos = Enumerable.Range(0, targets.Length).Select(i => targets[Mod(g.To + i, targets.Length)]).Where(t => t != from).ToArray();
        var spec = new SiteSpec(site.Name, site.Address, kind, from, site.Abi) { InterruptsOff = g.InterruptsOff || g.Spinlock, Spinlock = g.Spinlock };
        Workload workload;
        try { workload = WorkloadCache.Build([spec], Targets); }
        catch (ArgumentException) { return null; }
        foreach (int to in tos)
        {
            if (!patcher.Accepts(workload.Request(0, from, to)).Accepted) continue;
            int? again = null;
            if (g.Again >= -1)
            {
                int a = targets[Mod(g.Again, targets.Length)];
                if (a != to && patcher.Accepts(workload.Request(0, to, a)).Accepted) again = a;
            }
            return new Placed(spec, from, to, again, RivalOf(g, targets, from, to, t => patcher.Accepts(workload.Request(0, from, t)).Accepted));
        }
        return null;
    }

    /// <summary>The concurrent patch's target: the genome's, else the next one, that differs from both the old and the first patch's new target and is accepted.</summary>
    private static int? RivalOf(SiteGenome g, int[] targets, int from, int to, Func<int, bool> accepted)
    {
        if (g.Rival < -1) return null;
        for (int i = 0; i < targets.Length; i++)
        {
            int t = targets[Mod(g.Rival + i, targets.Length)];
            if (t != from && t != to && accepted(t)) return t;
        }
        return null;
    }

    /// <summary>The targets a kind of site can hold: -1 is its NOP (or ret) form.</summary>
    private static int[] TargetsOf(SiteKind kind) => kind switch
    {
        SiteKind.Short => [-1, 0],
        _ => [0, 1, 2, 3, -1],
    };
}
