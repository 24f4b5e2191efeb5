using Conformance.Machine;

namespace Conformance.Reporting;

/// <summary>Stable kebab-case names of trace event types: the JSON trace's <c>type</c> and the HTML page's CSS classes.</summary>
public static class EventKinds
{
    public static string Of(TraceEvent e) => e switch
    {
        InstructionRetired { Instruction.HostName: not null } => "handler-return",
        InstructionRetired => "instruction",
        BreakpointTrapped => "breakpoint-trap",
        EventDelivered => "delivered",
        CpuHalted => "halted",
        CpuFaulted => "fault",
        InterruptRaised => "interrupt-raised",
        SiteFetched => "fetch",
        WriterStored => "store",
        SyncIpiSent => "sync-sent",
        SyncIpiAcknowledged => "sync-ack",
        SyncCompleted => "sync-complete",
        WriterWaits => "wait",
        WriterAction => "writer-action",
        WriterFailed => "writer-failed",
        TaskSwitched => "task-switch",
        PatchingThreadSwitched => "thread-switch",
        HandlerAction => "handler-action",
        HandlerStored => "handler-store",
        _ => "other",
    };
}
