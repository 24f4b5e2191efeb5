namespace Conformance.Checking.Exhaustive;

/// <summary>
/// What one exhaustive exploration covers (spec/exhaustive.md): schedules with at most
/// <see cref="Preemptions"/> preemptions, each reader running <see cref="Iterations"/> iterations of
/// the workload loop, each execution at most <see cref="StepBudget"/> machine steps and at most
/// <see cref="Interrupts"/> interrupts delivered as explored choices; the search gives up,
/// unfinished, after <see cref="MaxExecutions"/> executions.
/// </summary>
public sealed record ExhaustiveBound(int Preemptions, int Iterations = 2, int StepBudget = 400, int MaxExecutions = 200_000)
{
    /// <summary>
    /// Schedule only at visible steps, fix fetch choices that cannot matter and let retrying CPUs
    /// yield (the default). Off: a scheduling point after every step and every fetch choice
    /// enumerated, to check the reduction against (same outcomes, many more executions).
    /// </summary>
    public bool Reduce { get; init; } = true;

    /// <summary>
    /// Prune a scheduling point whose state (<see cref="ExplorationState"/>) was explored before with at
    /// least as many preemptions and steps left (the default). Off: every execution is run to its end.
    /// </summary>
    public bool Hashing { get; init; } = true;

    /// <summary><see cref="Preemptions"/> for no preemption bound: every schedule, the visited states ending the search (needs <see cref="Hashing"/>).</summary>
    public const int Unbounded = int.MaxValue;

    /// <summary>The largest preemption bound a number may give.</summary>
    public const int MaxPreemptions = 8;

    /// <summary>Whether the exploration has no preemption bound.</summary>
    public bool IsUnbounded => Preemptions == Unbounded;

    /// <summary>"2 preemption(s)" or "any number of preemptions".</summary>
    public string PreemptionText => IsUnbounded ? "any number of preemptions" : $"at most {Preemptions} preemption(s)";

    /// <summary>
    /// The most interrupts an execution may be delivered as explored choices (<see cref="ExploredInterrupts"/>:
    /// a preempting timer on a reader CPU with a second task, an NMI in an STI shadow when the NMI switch is on).
    /// </summary>
    public int Interrupts { get; init; }

    /// <summary>The largest <see cref="Interrupts"/>: every delivery multiplies the executions by the scheduling points it may land at.</summary>
    public const int MaxInterrupts = 3;

    /// <summary>The most machine steps an execution may take (a replay token's runs add up to at most this).</summary>
    public const int MaxStepBudget = 100_000;

    /// <summary>Bad bounds throw an <see cref="ArgumentException"/> naming the field and the allowed range.</summary>
    public void Validate()
    {
        if (Preemptions is < 0 or > MaxPreemptions && !IsUnbounded) throw new ArgumentException($"Preemptions = {Preemptions}: 0 to {MaxPreemptions}, or unbounded");
        if (IsUnbounded && !Hashing) throw new ArgumentException("Preemptions = unbounded: needs the visited-state hashing (it ends the search), which is off");
        if (Iterations is < 1 or > 8) throw new ArgumentException($"Iterations = {Iterations}: each reader runs 1 to 8 iterations of the loop");
        if (StepBudget is < 10 or > MaxStepBudget) throw new ArgumentException($"StepBudget = {StepBudget}: 10 to 100,000 steps per execution");
        if (MaxExecutions < 1) throw new ArgumentException($"MaxExecutions = {MaxExecutions}: at least 1");
        if (Interrupts is < 0 or > MaxInterrupts) throw new ArgumentException($"Interrupts = {Interrupts}: 0 to {MaxInterrupts} interrupts delivered per execution");
    }

    public override string ToString() =>
        $"{PreemptionText}, {Interrupts} interrupt(s), {Iterations} loop iteration(s) per reader, {StepBudget} steps per execution{(Reduce ? "" : ", no reduction")}{(Hashing ? "" : ", no state hashing")}";
}
