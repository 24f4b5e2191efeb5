namespace Conformance.Checking.Exhaustive;

/// <summary>How an exhaustive exploration ended.</summary>
public enum ExhaustiveOutcome : byte
{
    /// <summary>Every execution within the bound was explored and none violates a property.</summary>
    Verified,
    /// <summary>An execution within the bound violates a property.</summary>
    Counterexample,
    /// <summary>The search gave up at <see cref="ExhaustiveBound.MaxExecutions"/>: neither verified nor refuted.</summary>
    Incomplete,
}

/// <summary>
/// A failing execution: the scenario with the execution as its schedule (so <see cref="PatchCheck.Run"/>
/// replays it exactly), what the check found (with the trace), and its size.
/// </summary>
public sealed record ExhaustiveCounterexample(PatchCase Case, CaseResult Result, int Preemptions, int Decisions, long Steps, long Execution);

/// <summary>
/// The result of <see cref="ExhaustiveExplorer.Explore"/>: the outcome, how many distinct executions
/// were explored (<see cref="ByPreemptions"/>: how many had 0, 1, ... preemptions), how many were cut
/// by the step budget, the first counterexample in exploration order (fewest preemptions first), and
/// how many executions failed when the search did not stop at the first.
/// </summary>
public sealed record ExhaustiveResult(
    ExhaustiveOutcome Outcome, ExhaustiveBound Bound, long Executions, IReadOnlyList<long> ByPreemptions, long BudgetHits, long Failing,
    long Runs, ExhaustiveCounterexample? Counterexample)
{
    /// <summary>Executions cut at a state explored before (visited-state hashing; counted in <see cref="Executions"/>).</summary>
    public long Pruned { get; init; }

    /// <summary>Executions cut where they came back to a state they had been in (then finished by the fair run, as at the step budget).</summary>
    public long Cycles { get; init; }

    /// <summary>Distinct states the visited set recorded (summed over the preemption levels).</summary>
    public long States { get; init; }

    /// <summary>Whether the exploration used visited-state hashing.</summary>
    public bool Hashed { get; init; }

    /// <summary>
    /// One line: "verified for every schedule of this scenario" (no preemption bound, nothing cut by
    /// the step budget), "verified: no counterexample within K preemptions", the counterexample's
    /// size, or "incomplete" and why (the execution limit, or, with no preemption bound, executions the
    /// step budget cut: a bound the claim would then rest on).
    /// </summary>
    public string Summary => Outcome switch
    {
        ExhaustiveOutcome.Verified when Bound.IsUnbounded =>
            $"verified for every schedule of this scenario (any number of preemptions), {Executions:N0} executions explored{HashNote}",
        ExhaustiveOutcome.Verified =>
            $"verified: no counterexample within {Bound.Preemptions} preemption(s), {Executions:N0} executions explored{HashNote}{BudgetNote}",
        ExhaustiveOutcome.Counterexample =>
            $"counterexample at execution {Counterexample!.Execution:N0} ({Counterexample.Preemptions} preemption(s), {Counterexample.Steps} steps): {Counterexample.Result.First}",
        _ when Bound.IsUnbounded && BudgetHits > 0 && Executions < Bound.MaxExecutions =>
            $"incomplete: {BudgetHits:N0} of {Executions:N0} executions cut by the {Bound.StepBudget}-step budget, so not every schedule was explored (raise --step-budget){HashNote}",
        _ => $"incomplete: gave up after {Executions:N0} executions (the limit) without a counterexample{HashNote}{BudgetNote}",
    };

    private string BudgetNote => BudgetHits == 0 ? "" : $" ({BudgetHits:N0} cut by the {Bound.StepBudget}-step budget)";

    private string HashNote => !Hashed ? "" : $" ({States:N0} states, {Pruned:N0} executions ended at a visited state{(Cycles > 0 ? $", {Cycles:N0} at a cycle" : "")})";
}
