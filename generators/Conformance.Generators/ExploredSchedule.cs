using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Generators;

/// <summary>
/// A minimization step of <see cref="CaseMinimizer"/> that the greedy removals cannot make: a new
/// schedule for a failing genome's case, found by the exhaustive explorer (spec/exhaustive.md) on
/// the same sites, CPUs and tasks, as a genome the random side replays. The removals only drop and
/// shorten, so a violation that the shrunk schedule reaches in its fair run (after one run) stays as
/// late as that run makes it; the explorer finds the interleaving that reaches it in a few steps.
/// Deterministic: the explorer's order is fixed, and the choice among its failing executions
/// (fewest preemptions, then the earliest violation, then the first) depends on nothing else.
/// </summary>
public static class ExploredSchedule
{
    /// <summary>The explorer's bound for one rescheduling: the bench's preemptions, a small execution budget (each is one run of the case).</summary>
    public const int MaxPreemptions = 3, MaxExecutions = 3000;

    /// <summary>After the first failing execution of the wanted property, this many more are looked at for an earlier violation (same or more preemptions).</summary>
    public const int LookAhead = 300;

    /// <summary>
    /// <paramref name="g"/> with the schedule (runs, interrupts, fetch choices) of the explorer's
    /// failing execution of its realized case that violates <paramref name="property"/> first, with
    /// the earliest violation among those it looked at; null when the case is not one the explorer
    /// takes (a concurrent patch, a spinlock, the patching CPU running sites, 3 tasks, 3 patches) or
    /// none was found. <paramref name="interrupts"/>: the most deliveries the explorer may choose (a
    /// preempting timer needs 2 tasks per reader: the genome gets them). <paramref name="runs"/>: the
    /// case runs it took.
    /// </summary>
    public static PatchCaseGenome? Of(PatchCaseGenome g, string property, int interrupts, Func<IPatcher> create, IPatcher probe, IFetchModel model, bool nmi, out long runs)
    {
        // The explorer takes neither a concurrent patch nor a spinlock (readers would share its word):
        // a site under a spinlock is tried as a plain site, then as one run with IRQs off (what the
        // lock, taken with IRQs off, does to the sync IPI). Plainer sites first: without their second
        // patch, then with it (the minimizer's size counts site options before steps).
        runs = 0;
        SiteGenome[] Sites(bool again, bool off) =>
            g.Sites.Select(s => s with { Rival = -2, Spinlock = false, Again = again ? s.Again : -2, InterruptsOff = s.InterruptsOff || (off && s.Spinlock) }).ToArray();
        var variants = (from off in new[] { false, true }
                        from again in new[] { false, true }
                        select g with { Sites = Sites(again, off) })
            .DistinctBy(v => v.ToString()).ToArray();
        foreach (var v in variants)
        {
            var found = Explored(v, property, interrupts, create, probe, model, nmi, out long r);
            runs += r;
            if (found is not null) return found;
        }
        return null;
    }

    private static PatchCaseGenome? Explored(PatchCaseGenome g, string property, int interrupts, Func<IPatcher> create, IPatcher probe, IFetchModel model, bool nmi, out long runs)
    {
        runs = 0;
        var shape = g with
        {
            Cpus = Math.Clamp(g.Cpus, 2, 3),
            TasksPerCpu = interrupts > 0 ? 2 : 1,
            PatcherRunsSites = false,
            Runs = [],
            Interrupts = [],
            FetchChoices = [],
            Explore = null,
        };
        var c = PatchCaseRealizer.Realize(shape, probe);
        if (c.Concurrent.Count > 0 || c.Sites.Any(s => s.Spinlock) || c.Batches.Count is < 1 or > ExhaustiveScenario.MaxPatches) return null;
        // Explored as the exhaustive scenario is, with an unbounded staleness window (the visited-state
        // hashing needs one); the candidate then runs with the case's own window in the minimizer's
        // check, which rejects it if it read bytes older than that window allows.
        c = c with { StalenessWindow = long.MaxValue };
        var bound = new ExhaustiveBound(MaxPreemptions, MaxExecutions: MaxExecutions) { Interrupts = Math.Min(interrupts, ExhaustiveBound.MaxInterrupts) };
        Schedule? best = null;
        long bestStep = long.MaxValue, seen = 0, after = -1;
        void Observe(ExecutionDriver driver, CaseResult result)
        {
            seen++;
            if (result.First is { } v && v.Property == property && v.Step < bestStep)
            {
                bestStep = v.Step;
                best = driver.Recorded;
                if (after < 0) after = seen;
            }
            if (after >= 0 && seen - after >= LookAhead) throw new Enough();
        }
        try
        {
            var result = ExhaustiveExplorer.Explore(create, model, c, bound, stopAtFirst: false, Observe, nmi);
            runs = result.Runs;
        }
        catch (Enough) { runs = seen; }
        catch (ExhaustiveAssumptionException) { runs = seen; return null; }
        // The explorer's own replay check of a counterexample it cut at a visited state can find more
        // violations on the replay (stub-global-slots under block64): the search ends there, with what it
        // had (the minimizer's check runs the candidate as the random side does, and decides).
        catch (InvalidOperationException) { runs = seen; }
        if (best is null) return null;
        return shape with
        {
            Runs = best.Runs.Select(r => new RunGenome(r.Cpu, r.Steps)).ToArray(),
            // The realizer takes an interrupt's CPU modulo the readers (CPUs 0..n-2: the last patches) and its step modulo the steps.
            Interrupts = best.Interrupts.Select(i => new InterruptGenome((int)i.AtStep, i.Cpu, (int)i.Kind, i.InShadow)).ToArray(),
            FetchChoices = [.. best.FetchChoices],
        };
    }

    /// <summary>Ends an exploration once enough was seen (thrown from its observer).</summary>
    private sealed class Enough : Exception;
}
