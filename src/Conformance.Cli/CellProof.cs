using System.Text.Json.Serialization;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>
/// The bounded proof of one cell of <c>check</c>'s matrix (spec/verdicts.md, "Settled verdicts"):
/// the exhaustive exploration of <c>check --exhaustive</c> with its default bound over every layout
/// class of the cell's fetch model, run beside the cell's random search. A cell is <em>verified</em>
/// when the proof explored every execution of its scenario and found no counterexample, and the
/// random search found none either; it is <em>found</em> by whichever found a counterexample.
/// </summary>
public static class CellProof
{
    /// <summary>The proof's bound: <c>check --exhaustive</c>'s defaults (2 CPUs, 1 site, 2 preemptions, 2 iterations, 400 steps).</summary>
    public static readonly ExhaustiveBound Bound = new(Preemptions: 2, Iterations: 2, StepBudget: 400, MaxExecutions: 200_000);

    public const int Cpus = 2, Sites = 1;

    /// <summary>What the proof's scope is, in words, for the lines under the table.</summary>
    public static readonly string Scope =
        $"{Cpus} CPUs, {Sites} site, every layout class of the model, within {Bound.Preemptions} preemptions, {Bound.Iterations} loop iterations per reader, {Bound.StepBudget} steps per execution";

    /// <summary>Proves one cell (its patcher under its model) within <see cref="Bound"/>; never throws for a patcher's fault: that is the proof's outcome.</summary>
    public static ProofReport Run(PatcherInfo p, IFetchModel model, bool nmi)
    {
        if (nmi)
            return ProofReport.Without(ProofReport.NotExplored,
                "the NMI switch: the proof's scenario delivers no NMI, so it cannot show what the switch changes (spec/exhaustive.md)");
        var scenario = ExhaustiveScenario.For(p.Create(), Cpus, Sites, out string? declined);
        if (scenario is null) return ProofReport.Without(ProofReport.NotExplored, $"no scenario: {declined}");
        // The exploration of check --exhaustive, one scenario (IRQs on), every layout class.
        var cell = ExhaustiveCheck.ExploreCell(p, model, [scenario], LayoutChoice.All, Bound, nmi: false, irqs: "on");
        return cell.Error is { } error ? ProofReport.Without(ProofReport.Error, error) : ProofReport.Of(cell, cell.Layouts!.Count);
    }
}

/// <summary>
/// A cell's bounded proof in the JSON: its outcome (<c>verified</c>, <c>counterexample</c>,
/// <c>incomplete</c> when it ran out of executions, <c>not-explored</c> when the scenario cannot
/// stand for the cell, <c>error</c>), its scope (the bound, the layouts explored, the executions) and,
/// for a counterexample, its property, violation and <c>cx2</c> token.
/// </summary>
public sealed record ProofReport(string Outcome, int Cpus, int Sites, int Preemptions, int Iterations, int StepBudget, int Layouts, long Executions)
{
    public const string Verified = "verified", Counterexample = "counterexample", Incomplete = "incomplete", NotExplored = "not-explored", Error = "error";

    /// <summary>The scenario explored (its sites, kinds and changes), or null when none was.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Scenario { get; init; }

    /// <summary>Why the proof does not verify the cell, when it does not: what lies outside its scenario, or the error.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Note { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Property { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Violation { get; init; }

    /// <summary>The counterexample's machine steps and preemptions.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Steps { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CounterexamplePreemptions { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Replay { get; init; }

    /// <summary>A proof that explored nothing (<paramref name="outcome"/> says why not, <paramref name="note"/> in words).</summary>
    public static ProofReport Without(string outcome, string note) =>
        new(outcome, CellProof.Cpus, CellProof.Sites, CellProof.Bound.Preemptions, CellProof.Bound.Iterations, CellProof.Bound.StepBudget, 0, 0) { Note = note };

    public static ProofReport Of(ExhaustiveCheck.Cell c, int layouts)
    {
        var r = c.Result!;
        var cx = r.Counterexample;
        string outcome = r.Outcome switch
        {
            ExhaustiveOutcome.Verified => Verified,
            ExhaustiveOutcome.Counterexample => Counterexample,
            _ => Incomplete,
        };
        string? note = r.Outcome switch
        {
            ExhaustiveOutcome.Incomplete => $"gave up after {r.Executions:N0} executions (the limit)",
            ExhaustiveOutcome.Verified when c.OutOfReach is { } why => $"the expected failure is out of the scenario's reach: {why}",
            _ => null,
        };
        return new ProofReport(outcome, c.Scenario.Cpus, c.Scenario.SiteCount, r.Bound.Preemptions, r.Bound.Iterations, r.Bound.StepBudget, layouts, r.Executions)
        {
            Scenario = c.Scenario.ToString(), Note = note,
            Property = cx?.Result.First?.Property, Violation = cx?.Result.First?.Message, Steps = cx?.Steps, CounterexamplePreemptions = cx?.Preemptions,
            Replay = c.Token,
        };
    }

    /// <summary>"verified (K=2, 9 layout classes, 515 executions)", or what it found, or why it is not a proof.</summary>
    [JsonIgnore]
    public string Text => Outcome switch
    {
        Verified => $"verified (K={Preemptions}, {Layouts} layout class(es), {Executions:N0} executions)",
        Counterexample => $"counterexample (K<={Preemptions}, {CounterexamplePreemptions} preemption(s), {Steps} steps): {Property} {Violation}",
        _ => $"{Outcome}: {Note}",
    };
}
