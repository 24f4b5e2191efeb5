using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// The explorer's counts on a scenario small enough to count by hand (spec/exhaustive.md).
/// </summary>
/// <remarks>
/// Two CPUs: cpu0 runs one iteration of the loop over one call site that lies inside one line;
/// cpu1 runs <see cref="OneStore"/>: one 5-byte store of the new call (one event), no sync. Under
/// <c>atomic</c> the whole instruction is one fetch unit.
/// <para>The writer's visible steps: w1, the store; w2, the step at which it finds it has no step
/// left (done). The reader's steps: r1 = <c>jmp site</c> (invisible) then the call, which fetches
/// the site (visible); r2 = <c>inc</c>, <c>ret</c>, <c>jmp entry</c> (invisible), after which it has
/// done its iteration and parks. The reader never serializes, so a fetch after w1 can read the old
/// or the new bytes (2 choices); before w1 it has 1.</para>
/// <para>Scheduling points: the start (free), after w1 (the writer can go on: switching is a
/// preemption), after w2 (the writer is done: free), after r1 (a preemption), after r2 (parked: free).</para>
/// <list type="bullet">
/// <item>0 preemptions: w1 w2 r1 r2 (2 fetch choices) and r1 r2 w1 w2 (1): 3 executions.</item>
/// <item>exactly 1: w1 | r1 r2 | w2 (2 choices) and r1 | w1 w2 r2 (1): 3 more, 6 within 1.</item>
/// <item>exactly 2: w1 | r1 | w2 r2 (2 choices) and r1 | w1 | r2 w2 (1): 3 more, 9 within 2.</item>
/// </list>
/// <para>One execution fails, the same at every bound: w1 w2 r1 r2 with the stale fetch. Its visit
/// starts after the patcher returned, so it must have the new effect (P3 through P2), and it calls
/// the old target. Every other visit starts before w2, so the old call is allowed.</para>
/// </remarks>
public class HandCountedTests
{
    /// <summary>One store of the whole new instruction, no sync: the smallest writer there is.</summary>
    public sealed class OneStore : IPatcher
    {
        public string Name => "test-one-store";
        public string Description => "one store of the new instruction, no sync (test-only)";
        public string Source => "tests";
        public IReadOnlyList<Expectation> Expectations { get; } = [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
        {
            foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, r.New);
        }
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("writes no int3");
    }

    /// <summary>The site at line offset 16: its 5 bytes lie inside one 64-byte line, so the store is one event.</summary>
    private static readonly PatchCase Case = new(
        [new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 2, Schedule.Empty)
    {
        StalenessWindow = long.MaxValue,
    };

    [Theory]
    [InlineData(0, 3, new long[] { 3 })]
    [InlineData(1, 6, new long[] { 3, 3 })]
    [InlineData(2, 9, new long[] { 3, 3, 3 })]
    public void Counts_match_the_hand_count(int preemptions, long executions, long[] byPreemptions)
    {
        var schedules = new List<string>();
        var result = ExhaustiveExplorer.Explore(() => new OneStore(), new AtomicFetch(), Case, new ExhaustiveBound(preemptions, Iterations: 1), stopAtFirst: false,
            observe: (d, _) => schedules.Add(d.Recorded.ToString()));
        Assert.Equal(executions, result.Executions);
        Assert.Equal(byPreemptions, result.ByPreemptions);
        Assert.Equal(1, result.Failing);
        Assert.Equal(0, result.BudgetHits);
        Assert.Equal(ExhaustiveOutcome.Counterexample, result.Outcome);
        Assert.Equal(schedules.Count, schedules.Distinct().Count());   // every execution explored once
    }

    [Fact]
    public void The_failing_execution_is_the_stale_fetch_after_the_patcher_returned()
    {
        var result = ExhaustiveExplorer.Explore(() => new OneStore(), new AtomicFetch(), Case, new ExhaustiveBound(2, Iterations: 1));
        var cx = result.Counterexample!;
        Assert.Equal(0, cx.Preemptions);
        // cpu1: store, done; cpu0: jmp, call (stale: version 1), inc, ret, jmp.
        Assert.Equal("runs [cpu1x2 cpu0x5] interrupts [] fetch [1]", cx.Case.Schedule.ToString());
        Assert.Equal(EquivalentEffect.Id, cx.Result.First!.Property);
        Assert.Contains("after the patch completed", cx.Result.First.Message);
    }

    [Fact]
    public void Without_the_reduction_every_step_is_a_scheduling_point_and_the_outcomes_are_the_same()
    {
        // r1 and r2 are 2 and 3 steps: without the reduction the writer can also run between them,
        // so there are more executions, but the reader sees the same fetches and the same execution fails.
        var reduced = ExhaustiveExplorer.Explore(() => new OneStore(), new AtomicFetch(), Case, new ExhaustiveBound(2, Iterations: 1), stopAtFirst: false);
        var full = ExhaustiveExplorer.Explore(() => new OneStore(), new AtomicFetch(), Case, new ExhaustiveBound(2, Iterations: 1) { Reduce = false }, stopAtFirst: false);
        Assert.True(full.Executions > reduced.Executions, $"{full.Executions} executions without the reduction, {reduced.Executions} with");
        Assert.Equal(reduced.Failing, full.Failing);
    }
}
