using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// Bounded exhaustive exploration (spec/exhaustive.md): stateless model checking by re-execution.
/// Every execution of a case is a sequence of choices (which CPU runs at each scheduling point,
/// which version each fetch reads); the explorer walks that tree depth first, re-running the case
/// from scratch for each leaf (<see cref="ExecutionDriver"/>) and checking every execution with
/// <see cref="PatchCheck"/>. It counts preemptions as CHESS does (switching away from a CPU that
/// could go on; other switches are free) and deepens the bound one preemption at a time, so the
/// first counterexample has the fewest preemptions. The order is fixed: the same case and bound
/// always explore the same executions in the same order.
/// </summary>
public static class ExhaustiveExplorer
{
    /// <summary>
    /// Explores every execution of <paramref name="c"/> within <paramref name="bound"/>. With
    /// <paramref name="stopAtFirst"/> it returns at the first counterexample; without, it explores
    /// everything and counts the failing executions (the first one is still reported).
    /// </summary>
    /// <param name="create">Makes a fresh patcher for each execution.</param>
    /// <param name="model">The fetch model.</param>
    /// <param name="c">The case, with an empty schedule (the explorer makes it), one or two tasks per reader and one or two batches.</param>
    /// <param name="bound">What the exploration covers.</param>
    /// <param name="stopAtFirst">Return at the first counterexample.</param>
    /// <param name="observe">Called with every counted execution (its schedule, preemptions and result), in order.</param>
    /// <param name="nmiMayEndStiShadow">The machine's NMI-in-STI-shadow switch (then NMIs in a shadow are explored deliveries).</param>
    public static ExhaustiveResult Explore(Func<IPatcher> create, IFetchModel model, PatchCase c, ExhaustiveBound bound, bool stopAtFirst = true,
        Action<ExecutionDriver, CaseResult>? observe = null, bool nmiMayEndStiShadow = false)
    {
        bound.Validate();
        if (c.Schedule.Runs.Count > 0 || c.Schedule.Interrupts.Count > 0 || c.Schedule.FetchChoices.Count > 0)
            throw new ArgumentException("the exhaustive explorer makes the schedule: the case's schedule must be empty");
        if (c.TasksPerCpu is < 1 or > 2) throw new ArgumentException($"TasksPerCpu = {c.TasksPerCpu}: the exhaustive scenario has one or two tasks per reader");
        if (c.Batches.Count is < 1 or > ExhaustiveScenario.MaxPatches) throw new ArgumentException($"{c.Batches.Count} batches: the exhaustive scenario patches one batch, or two one after the other");
        // What the reduction's independence argument does not cover (spec/exhaustive.md): a second
        // writer. (A spinlocked site's lock word is shared by the readers: every step of the lock code
        // is visible, StepVisibility.InLockCode. A patching CPU that also runs tasks switches between
        // them only by preempting timers, explored choices: SharedCpuInterrupts.)
        if (c.Concurrent.Count > 0) throw new ArgumentException("a concurrent patch: the exhaustive scenario has one writer");

        // Visited-state hashing needs every piece of state that decides the future (ExplorationState.CanHash).
        bool hashing = bound.Hashing && ExplorationState.CanHash(create());
        var byPreemptions = new List<long>();
        long executions = 0, budgetHits = 0, failing = 0, runs = 0, pruned = 0, cycles = 0, states = 0;
        ExhaustiveCounterexample? first = null;
        // With no preemption bound there is one level: every schedule, however many switches it makes.
        int levels = bound.IsUnbounded ? 1 : bound.Preemptions + 1;
        ExhaustiveResult Result(ExhaustiveOutcome outcome) =>
            new(outcome, bound, executions, byPreemptions.Concat(Enumerable.Repeat(0L, Math.Max(0, levels - byPreemptions.Count))).ToArray(), budgetHits, failing, runs, first)
                { Pruned = pruned, Cycles = cycles, States = states, Hashed = hashing };
        for (int level = 0; level < levels; level++)
        {
            int limit = bound.IsUnbounded ? ExhaustiveBound.Unbounded : level;
            // Depth first over the executions with at most `level` preemptions; those with fewer were
            // explored (and counted) at a lower level, so only the ones with exactly `level` count here.
            // Each level has its own visited set: a state expanded at a lower level had a smaller bound.
            var visited = hashing ? new VisitedStates() : null;
            IReadOnlyList<Decision> prefix = [];
            ExecutionDriver? previous = null;
            while (true)
            {
                // The previous execution lends its state keys for the points of the prefix they share.
                var driver = new ExecutionDriver(prefix, limit, bound, visited, previous);
                previous = driver;
                var result = PatchCheck.Run(create, model, c, nmiMayEndStiShadow, explore: driver);
                runs++;
                if (bound.IsUnbounded || driver.Preemptions == level)
                {
                    executions++;
                    while (byPreemptions.Count <= driver.Preemptions) byPreemptions.Add(0);
                    byPreemptions[driver.Preemptions]++;
                    if (driver.HitBudget) budgetHits++;
                    if (driver.Pruned) pruned++;
                    if (driver.Cycled) cycles++;
                    observe?.Invoke(driver, result);
                    if (!result.Passed)
                    {
                        failing++;
                        first ??= Replayed(create, model, c, driver, result, executions, nmiMayEndStiShadow);
                        if (stopAtFirst) { states += visited?.Count ?? 0; return Result(ExhaustiveOutcome.Counterexample); }
                    }
                    if (executions >= bound.MaxExecutions && (level < levels - 1 || Next(driver.Decisions) is not null))
                    {
                        states += visited?.Count ?? 0;
                        return Result(first is null ? ExhaustiveOutcome.Incomplete : ExhaustiveOutcome.Counterexample);
                    }
                }
                if (Next(driver.Decisions) is not { } next) break;
                prefix = next;
            }
            states += visited?.Count ?? 0;
        }
        // "Every schedule" holds only if no execution was cut by the step budget: a cut one stands for longer schedules not explored.
        if (first is null && bound.IsUnbounded && budgetHits > 0) return Result(ExhaustiveOutcome.Incomplete);
        return Result(first is null ? ExhaustiveOutcome.Verified : ExhaustiveOutcome.Counterexample);
    }

    /// <summary>The prefix of the next execution in depth-first order: the last choice with an alternative left, advanced; null when none is left.</summary>
    public static IReadOnlyList<Decision>? Next(IReadOnlyList<Decision> decisions)
    {
        int i = decisions.Count - 1;
        while (i >= 0 && !decisions[i].HasNext) i--;
        if (i < 0) return null;
        var next = new Decision[i + 1];
        for (int k = 0; k < i; k++) next[k] = decisions[k];
        next[i] = decisions[i] with { Chosen = decisions[i].Chosen + 1 };
        return next;
    }

    /// <summary>
    /// The counterexample as a case with an ordinary schedule, replayed through <see cref="PatchCheck.Run"/>
    /// with a trace: the replay must find the same violations, or the exploration was not deterministic.
    /// </summary>
    private static ExhaustiveCounterexample Replayed(Func<IPatcher> create, IFetchModel model, PatchCase c, ExecutionDriver driver, CaseResult explored, long execution,
        bool nmiMayEndStiShadow)
    {
        var replay = c with { Schedule = driver.Recorded };
        var traced = PatchCheck.Run(create, model, replay, nmiMayEndStiShadow, recordTrace: true);
        // Compared by property, CPU and step (and a torn fetch's clock): a livelock's message carries its cycle only when traced.
        static string Key(Violation v) => $"{v.Property} on cpu{v.Cpu} at step {v.Step}{(v.Fetch is null ? "" : $" (t={v.Clock})")}";
        var want = explored.Violations.Select(Key).ToArray();
        var got = traced.Violations.Select(Key).ToArray();
        // An execution the hashing ended early (at a visited state, or back at a state of its own) was
        // checked only up to the cut; the replay runs on past it, so it finds those violations and maybe more.
        bool cut = driver.Pruned || driver.Cycled;
        if (cut ? want.Except(got).Any() : !want.SequenceEqual(got))
            throw new InvalidOperationException($"the counterexample does not replay from its schedule ({replay.Schedule}): explored {string.Join("; ", want)}, replayed {string.Join("; ", got)}");
        return new ExhaustiveCounterexample(replay, traced, driver.Preemptions, driver.Decisions.Count, driver.Steps, execution);
    }
}
