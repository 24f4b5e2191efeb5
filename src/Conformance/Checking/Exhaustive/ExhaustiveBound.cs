namespace Conformance.Checking.Exhaustive;

/// <summary>
/// What one exhaustive exploration covers (spec/exhaustive.md): schedules with at most
/// <see cref="Preemptions"/> preemptions, each reader running <see cref="Iterations"/> iterations of
/// the workload loop, each execution at most <see cref="StepBudget"/> machine steps; the search
/// gives up, unfinished, after <see cref="MaxExecutions"/> executions.
/// </summary>
public sealed record ExhaustiveBound(int Preemptions, int Iterations = 2, int StepBudget = 400, int MaxExecutions = 200_000)
{
    /// <summary>
    /// Schedule only at visible steps, fix fetch choices that cannot matter and let retrying CPUs
    /// yield (the default). Off: a scheduling point after every step and every fetch choice
    /// enumerated, to check the reduction against (same outcomes, many more executions).
    /// </summary>
    public bool Reduce { get; init; } = true;

    /// <summary>The most machine steps an execution may take (a replay token's runs add up to at most this).</summary>
    public const int MaxStepBudget = 100_000;

    /// <summary>Bad bounds throw an <see cref="ArgumentException"/> naming the field and the allowed range.</summary>
    public void Validate()
    {
        if (Preemptions is < 0 or > 8) throw new ArgumentException($"Preemptions = {Preemptions}: 0 to 8");
        if (Iterations is < 1 or > 8) throw new ArgumentException($"Iterations = {Iterations}: each reader runs 1 to 8 iterations of the loop");
        if (StepBudget is < 10 or > MaxStepBudget) throw new ArgumentException($"StepBudget = {StepBudget}: 10 to 100,000 steps per execution");
        if (MaxExecutions < 1) throw new ArgumentException($"MaxExecutions = {MaxExecutions}: at least 1");
    }

    public override string ToString() =>
        $"at most {Preemptions} preemption(s), {Iterations} loop iteration(s) per reader, {StepBudget} steps per execution{(Reduce ? "" : ", no reduction")}";
}
