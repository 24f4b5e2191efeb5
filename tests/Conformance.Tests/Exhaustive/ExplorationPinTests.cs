using System.Text.Json;
using System.Text.Json.Nodes;
using Conformance.Tests.Support;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// Pins the exhaustive explorer's walk, number for number: the whole <c>check --exhaustive --json</c>
/// report (outcomes, executions per preemption level, states, pruned and cycled executions, per layout
/// and scenario, the first counterexample's execution index, schedule and token) of a few scenarios
/// that between them use every part of the search: layout classes, two sites, two patches, explored
/// interrupts, IRQs off and spinlocked sites, a shared patching CPU, spinning readers, no preemption
/// bound, every transition and both ABIs. A change made for speed (spec/performance.md) must leave
/// the search exactly as it was: any difference in what is explored, in what order, shows here as a
/// diff against the approved file. Only the tool's version (it names the commit) is left out.
/// </summary>
public class ExplorationPinTests
{
    [Theory]
    [InlineData("layout-classes", "--patcher v8-jump-table --sites 2 --layout-classes all")]
    [InlineData("unbounded", "--patcher text-poke-bp --preemptions unbounded --patches 1 --irqs on --model block16 --model atomic")]
    [InlineData("irqs-and-shared-cpu", "--patcher stub-per-call-sti --patcher spin-in-bp --patcher jmp-self-spin --irqs all --writer-runs-sites both --model atomic --model block32")]
    [InlineData("transitions-and-abi", "--patcher static-call --transitions all --abi both --model atomic")]
    public void The_exhaustive_report_is_unchanged(string name, string arguments)
    {
        var (exit, output, error) = CliProcess.Run(["check", "--exhaustive", .. arguments.Split(' '), "--json", "-"]);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        var report = JsonNode.Parse(output)!.AsObject();
        Assert.NotNull(report["tool"]);
        report.Remove("tool");
        Snapshot.Match(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", [("name", name)]);
    }
}
