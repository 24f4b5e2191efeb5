using Conformance.Generators.Bench;
using Conformance.Generators.Campaigns;

namespace Conformance.Tests.Matrix;

/// <summary>
/// spec/performance.md, "Minimal counterexamples": for every known-bad row, the counterexample the
/// matrix prints (FsCheck's shrink, then CaseMinimizer) at the fixed seed meets the target against
/// the exhaustive explorer's smallest (at most its CPUs and interrupts, at most 1.5 times its steps),
/// and its token replays to the same minimized case and violation; and the explorer's smallest is
/// still what the table records, at the shape its deepening found it in.
/// </summary>
public class MinimalCounterexampleTests
{
    /// <summary>
    /// Per row (spec/performance.md, "Minimal counterexamples", from <c>bench --minimal</c>): the
    /// explorer's smallest counterexample (CPUs, interrupts delivered, steps) and the shape it was
    /// found in (interrupts offered, sites, IRQs off; 2 CPUs, 1 patch and the preferred layout for every row).
    /// </summary>
    public static TheoryData<string, int, int, int, int, int, bool> Rows() => new()
    {
        { "aligned-rel32", 2, 0, 9, 0, 1, false },
        { "atomic-8byte", 2, 0, 9, 0, 1, false },
        { "ftrace-skip", 2, 0, 8, 0, 1, false },
        { "int3-emulate-call-no-gap", 2, 0, 8, 0, 1, false },
        { "jmp-self-spin", 2, 0, 11, 0, 1, false },
        { "naive-text-poke", 2, 0, 13, 0, 1, false },
        { "r10-r11-divert", 2, 0, 20, 0, 1, false },
        { "spin-in-bp", 2, 0, 19, 0, 1, true },
        { "stub-global-slots", 2, 0, 13, 1, 1, false },
        { "stub-per-call-reused", 2, 1, 43, 1, 1, false },
        { "stub-per-call-sti", 2, 2, 50, 2, 1, false },
        { "text-poke-bp-pre2019", 2, 0, 8, 0, 1, false },
        { "v8-jump-table", 2, 0, 10, 0, 1, false },
        { "mutant-text-poke-bp-no-sync1", 2, 0, 5, 0, 1, false },
        { "mutant-text-poke-bp-no-sync2", 2, 0, 16, 0, 1, false },
        { "mutant-text-poke-bp-no-sync3", 2, 0, 23, 0, 1, false },
        { "mutant-text-poke-bp-head-before-tail", 2, 0, 20, 0, 1, false },
        { "mutant-text-poke-bp-published-late", 2, 0, 8, 0, 1, false },
        { "mutant-text-poke-bp-released-before-sync3", 2, 0, 22, 0, 1, false },
        { "mutant-text-poke-bp-descriptor-freed-early", 2, 0, 22, 0, 1, false },
        { "mutant-text-poke-bp-single-into-batch", 2, 0, 9, 0, 2, false },
        { "mutant-text-poke-bp-wrong-return", 2, 0, 8, 0, 1, false },
        { "mutant-text-poke-bp-return-inside-site", 2, 0, 8, 0, 1, false },
        { "mutant-text-poke-bp-handler-leaves-if-clear", 2, 0, 6020, 0, 1, false },
    };

    [Fact]
    public void Every_known_bad_row_has_its_figures() =>
        Assert.Equal(MinimalCounterexamples.Rows().Select(r => r.Patcher.Name).Order(), Rows().Select(r => r.Data.Item1).Order());

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_minimized_counterexample_meets_the_target_and_replays(string patcher, int cpus, int interrupts, int steps, int offered, int sites, bool irqsOff)
    {
        _ = (offered, sites, irqsOff);
        var row = MinimalCounterexamples.Rows().Single(r => r.Patcher.Name == patcher);
        var cell = MinimalCounterexamples.Random(row, cap: 3000);
        Assert.False(cell.Passed, $"{row.Name}: no counterexample at the fixed seed");
        var size = CounterexampleSize.Of(cell.ShrunkCase!, cell.Shrunk!);

        // The target: the explorer's CPUs and interrupts (a 1-CPU case would be smaller still), 1.5 times its steps.
        string why = $"{row.Name}: {size}; the target is at most {cpus} CPUs, {interrupts} interrupts, {1.5 * steps} steps (the explorer's smallest: {steps} steps)";
        Assert.True(size.Cpus <= cpus, why);
        Assert.True(size.Interrupts <= interrupts, why);
        Assert.True(size.Steps <= 1.5 * steps, why);

        // The token regenerates, re-shrinks and re-minimizes: the same case, the same first violation.
        var replayed = MatrixCampaign.Replay(cell.Token!, [row.Patcher]);
        Assert.Equal(cell.ShrunkCase!.ToString(), replayed.ShrunkCase!.ToString());
        Assert.Equal(cell.Shrunk!.First!.ToString(), replayed.Shrunk!.First!.ToString());
    }

    /// <summary>
    /// The recorded minimum is re-checked cheaply at its shape (the full deepening, which explores every
    /// smaller shape to its end, is <c>bench --minimal</c>'s): a change of the explorer or the scenario
    /// that moves it turns this red, and the table and <see cref="Rows"/> are measured again.
    /// </summary>
    [Theory]
    [MemberData(nameof(Rows))]
    public void The_explorers_smallest_is_as_recorded(string patcher, int cpus, int interrupts, int steps, int offered, int sites, bool irqsOff)
    {
        var row = MinimalCounterexamples.Rows().Single(r => r.Patcher.Name == patcher);
        var (size, declined) = MinimalCounterexamples.At(row, new ExplorerShape(cpus, offered, sites, 1, irqsOff, AllLayouts: false));
        Assert.True(size is not null, $"{row.Name}: no counterexample at the recorded shape{(declined is null ? "" : $": {declined}")}");
        Assert.Equal((cpus, interrupts, (long)steps), (size!.Cpus, size.Interrupts, size.Steps));
    }
}
