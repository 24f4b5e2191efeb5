using Conformance.Generators.Bench;
using Conformance.Generators.Campaigns;

namespace Conformance.Tests.Matrix;

/// <summary>
/// spec/performance.md, "Minimal counterexamples": for every known-bad row, the counterexample the
/// matrix prints (FsCheck's shrink, then CaseMinimizer) at the fixed seed has at most the CPUs and
/// interrupts of the exhaustive explorer's smallest and at most 1.5 times its steps (where the explorer
/// reaches the row), and its token replays to the same minimized case and the same violation.
/// </summary>
public class MinimalCounterexampleTests
{
    /// <summary>
    /// Per row (spec/performance.md, "Minimal counterexamples", from <c>bench --minimal</c>): the most
    /// CPUs, interrupts and steps its minimized counterexample may have. Where the target is met
    /// (<c>true</c>) that is the explorer's CPUs and interrupts and 1.5 times its steps; where it is
    /// missed or out of the explorer's reach, the figures measured (a ceiling: no regression).
    /// </summary>
    public static TheoryData<string, int, int, int, bool> Rows() => new()
    {
        { "aligned-rel32", 2, 0, 13, true },
        { "atomic-8byte", 3, 0, 5, false },
        { "ftrace-skip", 2, 0, 22, false },
        { "int3-emulate-call-no-gap", 2, 0, 14, false },
        { "jmp-self-spin", 2, 0, 22, false },
        { "naive-text-poke", 2, 0, 19, true },
        { "r10-r11-divert", 2, 0, 23, false },
        { "spin-in-bp", 2, 0, 28, true },
        { "stub-global-slots", 2, 0, 21, false },
        { "stub-per-call-reused", 1, 1, 223, false },
        { "stub-per-call-sti", 1, 3, 32, false },
        { "text-poke-bp-pre2019", 2, 0, 12, true },
        { "v8-jump-table", 2, 0, 15, true },
        { "mutant-text-poke-bp-no-sync1", 2, 0, 12, false },
        { "mutant-text-poke-bp-no-sync2", 2, 0, 44, false },
        { "mutant-text-poke-bp-no-sync3", 2, 0, 34, true },
        { "mutant-text-poke-bp-head-before-tail", 2, 0, 30, true },
        { "mutant-text-poke-bp-published-late", 2, 0, 12, true },
        { "mutant-text-poke-bp-released-before-sync3", 2, 0, 57, false },
        { "mutant-text-poke-bp-descriptor-freed-early", 2, 0, 33, true },
        { "mutant-text-poke-bp-single-into-batch", 2, 0, 13, true },
        { "mutant-text-poke-bp-wrong-return", 2, 0, 22, false },
        { "mutant-text-poke-bp-return-inside-site", 2, 0, 12, true },
        { "mutant-text-poke-bp-handler-leaves-if-clear", 2, 0, 6005, false },
    };

    [Fact]
    public void Every_known_bad_row_has_its_figures() =>
        Assert.Equal(MinimalCounterexamples.Rows().Select(r => r.Patcher.Name).Order(), Rows().Select(r => r.Data.Item1).Order());

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_minimized_counterexample_is_as_small_as_its_row_holds_and_replays(string patcher, int cpus, int interrupts, int steps, bool target)
    {
        var row = MinimalCounterexamples.Rows().Single(r => r.Patcher.Name == patcher);
        var cell = MinimalCounterexamples.Random(row, cap: 3000);
        Assert.False(cell.Passed, $"{row.Name}: no counterexample at the fixed seed");
        var size = CounterexampleSize.Of(cell.ShrunkCase!, cell.Shrunk!);

        string why = $"{row.Name}: {size}; at most {cpus} CPUs, {interrupts} interrupts, {steps} steps{(target ? " (the target)" : " (measured; the target is not met)")}";
        Assert.True(size.Cpus <= cpus, why);
        Assert.True(size.Interrupts <= interrupts, why);
        Assert.True(size.Steps <= steps, why);

        // The token regenerates, re-shrinks and re-minimizes: the same case, the same first violation.
        var replayed = MatrixCampaign.Replay(cell.Token!, [row.Patcher]);
        Assert.Equal(cell.ShrunkCase!.ToString(), replayed.ShrunkCase!.ToString());
        Assert.Equal(cell.Shrunk!.First!.ToString(), replayed.Shrunk!.First!.ToString());
    }
}
