using Conformance.Machine;

namespace Conformance.Reporting;

/// <summary>How one trace event reads in a timeline cell: short, with addresses in hex and instructions as Iced formats them.</summary>
public static class EventText
{
    public static string Of(TraceEvent e) => e switch
    {
        InstructionRetired { Instruction.HostName: { } host } => $"{Handler(host)} returns (iretq)",
        InstructionRetired r => $"{r.Rip:x}  {Disassembly.Format(r.Instruction)}",
        BreakpointTrapped t => $"{t.Rip:x}  {Disassembly.Format(t.Instruction)} -> #BP",
        EventDelivered d => $"{d.What} delivered at {d.Rip:x}",
        CpuHalted => "halted",
        CpuFaulted f => $"FAULT {f.Fault}",
        InterruptRaised x => $"{Kind(x.Kind)} raised",
        SiteFetched f => Fetch(f.Fetch),
        WriterStored s => $"store{s.WidthBits} {s.Address:x} <- {Disassembly.Hex(s.Bytes)} (t={s.Time})",
        SyncIpiSent s => s.Targets.Count == 0 ? "sync_core: no other CPU to send the IPI to" : $"sync_core: IPI to {string.Join(", ", s.Targets.Select(c => $"cpu{c}"))}",
        SyncIpiAcknowledged => "sync_core: serialize, ack",
        SyncCompleted => "sync_core: every CPU acked",
        WriterWaits w => $"waits for {w.For}",
        WriterAction a => a.What,
        WriterFailed f => $"FAILED {f.Reason}",
        TaskSwitched t => $"preempt: task {t.FromName} -> {t.ToName}",
        PatchingThreadSwitched p => p.What,
        HandlerAction h => $"{Handler(h.Handler)}: {h.Action}",
        HandlerStored s => $"{Handler(s.Handler)}: store{s.WidthBits} {s.Address:x} <- {Disassembly.Hex(s.Bytes)} (t={s.Time})",
        _ => e.Line ?? e.GetType().Name,
    };

    /// <summary>A fetch: where, then each unit's bytes and the moment it read them (stale ones say so).</summary>
    public static string Fetch(FetchRecord f)
    {
        var units = Units(f).Select(u => $"[{Disassembly.Hex(u.Bytes)}]@t={u.Unit.Moment}{(u.Unit.Moment < f.Time ? " stale" : "")}");
        return $"fetch {f.Rip:x}: {string.Join(" ", units)}";
    }

    /// <summary>The fetched bytes that fall in each unit.</summary>
    public static IEnumerable<(FetchUnit Unit, byte[] Bytes)> Units(FetchRecord f) =>
        f.Units.Select(u => (u, f.Bytes.Where((_, i) => f.Rip + (ulong)i >= u.Start && f.Rip + (ulong)i < u.End).ToArray()));

    private static string Kind(InterruptKind k) => k switch
    {
        InterruptKind.PreemptingTimer => "preempting timer",
        InterruptKind.Timer => "timer",
        _ => "NMI",
    };

    /// <summary>A host handler's name as a cell says it: "naive-text-poke #BP handler" is "#BP handler" (the header names the patcher), "timer" is "timer handler".</summary>
    private static string Handler(string name) =>
        name.EndsWith("#BP handler", StringComparison.Ordinal) ? "#BP handler"
        : name.EndsWith("handler", StringComparison.Ordinal) ? name
        : $"{name} handler";
}
