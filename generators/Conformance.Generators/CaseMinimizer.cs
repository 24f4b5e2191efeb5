using Conformance.Checking;

namespace Conformance.Generators;

/// <summary>
/// The suite's own minimization of a failing genome, after FsCheck's shrinking (spec/performance.md,
/// "Minimal counterexamples"): greedily tries dropping interrupts, fewer CPUs, tasks and sites,
/// plainer sites, coherent fetches (no stale choice), and a schedule with fewer and shorter runs
/// (runs on one CPU merged, a run given to its neighbour's CPU), keeping a change only when the
/// case still fails with the same first property and is smaller by <see cref="Size"/>; it repeats
/// until a whole pass keeps nothing (a fixed point). Deterministic: the candidates come in a fixed
/// order and the check is deterministic, so one genome always minimizes to one genome, and a
/// token's replay (which regenerates and re-shrinks) prints the same minimized case.
/// </summary>
public static class CaseMinimizer
{
    /// <summary>What one check of a candidate says: its first violation (null when it passes).</summary>
    public delegate Violation? FirstViolation(PatchCaseGenome genome);

    /// <summary>At most this many candidates are checked (each is one run of the case): a bound on the cost, never reached by the known-bad rows (measured).</summary>
    public const int DefaultMaxChecks = 4000;

    /// <summary>
    /// The smallest genome reached from <paramref name="start"/> (which must fail) that still fails with
    /// its first violation's property; <paramref name="start"/> itself when it passes, is explored by a
    /// strategy (not data yet) or nothing smaller fails.
    /// </summary>
    public static PatchCaseGenome Minimize(PatchCaseGenome start, FirstViolation check, int maxChecks = DefaultMaxChecks, Reschedule? reschedule = null)
    {
        if (start.Explore is not null || check(start) is not { } first) return start;
        string property = first.Property;
        var seen = new Dictionary<string, Violation?>(StringComparer.Ordinal);
        int checks = 0;
        Violation? Check(PatchCaseGenome g)
        {
            string key = Text(g);
            if (seen.TryGetValue(key, out var v)) return v;
            checks++;
            v = check(g);
            seen[key] = v;
            return v;
        }
        var current = start;
        var size = Size(start, first);
        // Keeps a candidate that still fails with the property and is smaller.
        bool Keep(PatchCaseGenome candidate)
        {
            if (Check(candidate) is not { } v || v.Property != property) return false;
            var s = Size(candidate, v);
            if (Compare(s, size) >= 0) return false;
            current = candidate;
            size = s;
            return true;
        }
        // The same case in realized form (indices taken modulo what they index, runs on one CPU merged) is the first candidate.
        var normal = Normalize(start);
        if (Check(normal) is { } nv && nv.Property == property && Compare(Size(normal, nv), size) <= 0) { current = normal; size = Size(normal, nv); }

        int minCpus = 1;   // 2 once a 2-CPU case was taken over a 1-CPU one (below): the pass does not go back
        void Greedy()
        {
            bool changed = true;
            while (changed && checks < maxChecks)
            {
                changed = false;
                // One pass: after a kept change the candidates are those of the new genome, from the same position on.
                for (int position = 0; checks < maxChecks; position++)
                {
                    var candidate = Candidates(current, minCpus).Skip(position).FirstOrDefault();
                    if (candidate is null) break;
                    if (!Keep(Normalize(candidate))) continue;
                    changed = true;
                    position--;   // the new genome's candidate at this position is a different one
                }
            }
        }
        Greedy();

        // Then a new schedule found by the explorer (ExploredSchedule), smallest shape first: 2 CPUs
        // before 3, no interrupt before one; the first kept one is the smallest this step reaches,
        // and the greedy pass runs again on it. A 1-CPU case (the patching CPU runs the sites) is
        // already smaller than any shape the explorer takes.
        if (reschedule is null) return current;
        if (current.Cpus >= 2)
        {
            foreach (int cpus in Enumerable.Range(2, Math.Min(3, current.Cpus) - 1))
                foreach (int interrupts in Enumerable.Range(0, Math.Min(3, current.Interrupts.Length) + 1))
                    if (reschedule(current with { Cpus = cpus }, property, interrupts) is { } explored && Keep(Normalize(explored)))
                    {
                        Greedy();
                        return current;
                    }
            return current;
        }
        // A 1-CPU case (the patching CPU runs the sites between its own steps) is smaller by CPUs than
        // any the explorer makes, but can need more interrupts or many more steps: a 2-CPU case (a
        // writer and a reader) with fewer interrupts, or as many and at most half the steps, is taken
        // instead (spec/performance.md, "Minimal counterexamples"), and minimized in turn.
        foreach (int interrupts in Enumerable.Range(0, Math.Min(3, current.Interrupts.Length) + 1))
        {
            if (reschedule(current with { Cpus = 2, PatcherRunsSites = false }, property, interrupts) is not { } explored) continue;
            explored = Normalize(explored);
            if (Check(explored) is not { } v || v.Property != property) continue;
            if (explored.Interrupts.Length < current.Interrupts.Length || (explored.Interrupts.Length == current.Interrupts.Length && 2 * v.Step <= size[5]))
            {
                current = explored;
                size = Size(explored, v);
                minCpus = 2;
                Greedy();
                break;
            }
        }
        return current;
    }

    /// <summary>
    /// A new schedule for <paramref name="g"/>'s sites and CPUs with at most <paramref name="interrupts"/>
    /// interrupts under which it fails with <paramref name="property"/> (<see cref="ExploredSchedule"/>), or null.
    /// </summary>
    public delegate PatchCaseGenome? Reschedule(PatchCaseGenome g, string property, int interrupts);

    /// <summary>
    /// How big a failing genome is, compared in order: CPUs, interrupts, tasks per CPU, sites, site and
    /// interrupt options in use, the step of the first violation, schedule runs, scheduled steps, stale
    /// fetch choices, fetch choices.
    /// </summary>
    public static long[] Size(PatchCaseGenome g, Violation first) =>
    [
        Math.Clamp(g.Cpus, 1, 8),
        g.Interrupts.Length,
        Math.Clamp(g.TasksPerCpu, 1, 3),
        g.Sites.Length,
        g.Sites.Sum(s => (s.Rival >= -1 ? 1 : 0) + (s.Again >= -1 ? 1 : 0) + (s.Spinlock ? 1 : 0) + (s.InterruptsOff ? 1 : 0) + (s.CalleeSaved ? 1 : 0))
            + g.Interrupts.Count(i => i.InShadow) + (g.PatcherRunsSites && g.Cpus > 1 ? 1 : 0),
        first.Step,
        g.Runs.Length,
        g.Runs.Sum(r => (long)Math.Max(0, r.Steps)),
        g.FetchChoices.Count(c => c > 0),
        g.FetchChoices.Length,
    ];

    private static int Compare(long[] a, long[] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i]) return a[i].CompareTo(b[i]);
        return 0;
    }

    /// <summary>
    /// The genome that realizes the same case with every index in range: a run's CPU modulo the CPUs,
    /// an interrupt's step modulo the steps and CPU modulo the readers (as <see cref="PatchCaseRealizer"/>
    /// takes them), empty runs dropped and neighbouring runs on one CPU merged. Shortening a run then
    /// leaves the interrupts where they were.
    /// </summary>
    public static PatchCaseGenome Normalize(PatchCaseGenome g)
    {
        int cpus = Math.Clamp(g.Cpus, 1, 8);
        int readers = g.PatcherRunsSites || cpus == 1 ? cpus : cpus - 1;
        var runs = new List<RunGenome>();
        foreach (var r in g.Runs)
        {
            if (r.Steps <= 0) continue;
            var run = r with { Cpu = Mod(r.Cpu, cpus) };
            if (runs.Count > 0 && runs[^1].Cpu == run.Cpu) runs[^1] = runs[^1] with { Steps = runs[^1].Steps + run.Steps };
            else runs.Add(run);
        }
        long total = Math.Max(1, runs.Sum(r => (long)r.Steps));
        var interrupts = g.Interrupts.Select(i => i with { At = Mod(i.At, (int)Math.Min(total, int.MaxValue)), Cpu = Mod(i.Cpu, readers), Kind = Mod(i.Kind, 3) }).ToArray();
        return g with { Cpus = cpus, TasksPerCpu = Math.Clamp(g.TasksPerCpu, 1, 3), Runs = [.. runs], Interrupts = interrupts, FetchChoices = g.FetchChoices.Select(c => Math.Max(0, c)).ToArray() };
    }

    /// <summary>The changes tried, most aggressive first, in a fixed order.</summary>
    private static IEnumerable<PatchCaseGenome> Candidates(PatchCaseGenome g, int minCpus)
    {
        if (g.Cpus > minCpus) yield return g with { Cpus = g.Cpus - 1 };
        if (g.Interrupts.Length > 1) yield return g with { Interrupts = [] };
        for (int i = 0; i < g.Interrupts.Length; i++) yield return g with { Interrupts = Without(g.Interrupts, i) };
        if (g.TasksPerCpu > 1) yield return g with { TasksPerCpu = g.TasksPerCpu - 1 };
        if (g.Sites.Length > 1)
            for (int i = 0; i < g.Sites.Length; i++) yield return g with { Sites = Without(g.Sites, i) };
        if (g.PatcherRunsSites && g.Cpus > 1) yield return g with { PatcherRunsSites = false };
        for (int i = 0; i < g.Sites.Length; i++)
        {
            var s = g.Sites[i];
            if (s.Rival >= -1) yield return g with { Sites = Replace(g.Sites, i, s with { Rival = -2 }) };
            if (s.Again >= -1) yield return g with { Sites = Replace(g.Sites, i, s with { Again = -2 }) };
            if (s.Spinlock) yield return g with { Sites = Replace(g.Sites, i, s with { Spinlock = false }) };
            if (s.InterruptsOff) yield return g with { Sites = Replace(g.Sites, i, s with { InterruptsOff = false }) };
            if (s.CalleeSaved) yield return g with { Sites = Replace(g.Sites, i, s with { CalleeSaved = false }) };
        }
        for (int i = 0; i < g.Interrupts.Length; i++)
            if (g.Interrupts[i].InShadow) yield return g with { Interrupts = Replace(g.Interrupts, i, g.Interrupts[i] with { InShadow = false }) };
        // The schedule: runs dropped (the last ones first: what follows the violation), a run given to a neighbour's CPU (so they merge), runs shortened.
        if (g.Runs.Length > 1) yield return g with { Runs = g.Runs[..(g.Runs.Length / 2)] };
        for (int i = g.Runs.Length - 1; i >= 0; i--) yield return g with { Runs = Without(g.Runs, i) };
        for (int i = 0; i < g.Runs.Length; i++)
        {
            if (i > 0) yield return g with { Runs = Replace(g.Runs, i, g.Runs[i] with { Cpu = g.Runs[i - 1].Cpu }) };
            if (i + 1 < g.Runs.Length) yield return g with { Runs = Replace(g.Runs, i, g.Runs[i] with { Cpu = g.Runs[i + 1].Cpu }) };
        }
        for (int i = g.Runs.Length - 1; i >= 0; i--)
        {
            int steps = g.Runs[i].Steps;
            if (steps > 3) yield return g with { Runs = Replace(g.Runs, i, g.Runs[i] with { Steps = steps / 2 }) };
            if (steps > 1) yield return g with { Runs = Replace(g.Runs, i, g.Runs[i] with { Steps = steps - 1 }) };
        }
        // Coherent fetches: no choices, then each stale choice made the newest.
        if (g.FetchChoices.Length > 0) yield return g with { FetchChoices = [] };
        for (int i = 0; i < g.FetchChoices.Length; i++)
            if (g.FetchChoices[i] > 0) yield return g with { FetchChoices = Replace(g.FetchChoices, i, 0) };
        if (g.FetchChoices.Length > 0) yield return g with { FetchChoices = g.FetchChoices[..^1] };
        // Interrupts earlier (a shorter prefix may then do).
        for (int i = 0; i < g.Interrupts.Length; i++)
            if (g.Interrupts[i].At > 0) yield return g with { Interrupts = Replace(g.Interrupts, i, g.Interrupts[i] with { At = g.Interrupts[i].At - 1 }) };
    }

    /// <summary>A genome's full text (the cache key: two genomes with the same text are the same genome).</summary>
    private static string Text(PatchCaseGenome g) => $"{g}|{g.Explore}";

    private static int Mod(int value, int n) => n <= 0 ? 0 : ((value % n) + n) % n;

    private static T[] Without<T>(T[] a, int i) => [.. a[..i], .. a[(i + 1)..]];

    private static T[] Replace<T>(T[] a, int i, T value)
    {
        var copy = (T[])a.Clone();
        copy[i] = value;
        return copy;
    }
}
