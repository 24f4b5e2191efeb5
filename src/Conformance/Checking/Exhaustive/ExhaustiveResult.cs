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
    /// <summary>One line: "verified: no counterexample within K preemptions, N executions explored", or the counterexample's size.</summary>
    public string Summary => Outcome switch
    {
        ExhaustiveOutcome.Verified =>
            $"verified: no counterexample within {Bound.Preemptions} preemption(s), {Executions:N0} executions explored{BudgetNote}",
        ExhaustiveOutcome.Counterexample =>
            $"counterexample at execution {Counterexample!.Execution:N0} ({Counterexample.Preemptions} preemption(s), {Counterexample.Steps} steps): {Counterexample.Result.First}",
        _ => $"incomplete: gave up after {Executions:N0} executions (the limit) without a counterexample{BudgetNote}",
    };

    private string BudgetNote => BudgetHits == 0 ? "" : $" ({BudgetHits:N0} cut by the {Bound.StepBudget}-step budget)";
}
