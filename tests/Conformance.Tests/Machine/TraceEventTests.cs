using Conformance.Machine;

namespace Conformance.Tests.Machine;

/// <summary>The typed trace: recorded only when tracing, and the text trace is exactly its events that have a line.</summary>
public class TraceEventTests
{
    private static Conformance.Machine.Machine Run(bool trace)
    {
        var machine = ReplayTests.Build(recordTrace: trace);
        machine.Run(Schedule.RoundRobin(machine.Cpus.Count, rounds: 40));
        return machine;
    }

    [Fact]
    public void Nothing_is_recorded_when_tracing_is_off()
    {
        var machine = Run(trace: false);
        Assert.False(machine.IsTracing);
        Assert.Empty(machine.Events);
        Assert.Empty(machine.Trace);
    }

    [Fact]
    public void The_text_trace_is_derived_from_the_events()
    {
        var machine = Run(trace: true);
        var lines = machine.Events.Where(e => e.Line is not null).Select(e => $"{e.Step,6} cpu{e.Cpu} {e.Line}").ToArray();
        Assert.NotEmpty(lines);
        Assert.Equal(lines, machine.Trace);
        Assert.Equal(machine.Events.OrderBy(e => e.Step).Select(e => e.Step), machine.Events.Select(e => e.Step));   // in step order
        Assert.Contains(machine.Events, e => e is WriterStored { WidthBits: > 0 });
        Assert.Contains(machine.Events, e => e is InstructionRetired);
    }
}
