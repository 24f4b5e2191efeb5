using System.Text;
using System.Text.Json;
using Conformance.Checking;
using Conformance.Machine;

namespace Conformance.Reporting;

/// <summary>
/// The structured trace of a counterexample as JSON: what was checked, the case, every violation,
/// the lanes, and every event of the run (not only the timeline's window), each with its
/// <c>type</c> (<see cref="EventKinds"/>), <c>step</c> (the machine step), CPU, <c>clock</c> (the memory clock
/// after the step) and its own fields; the offending event has <c>"offending": true</c>. A figure is named
/// for what it counts: <c>step</c>, <c>fromStep</c>, <c>atStep</c> are steps, <c>clock</c> the memory clock. Addresses are hex strings (JSON numbers lose 64-bit precision).
/// </summary>
public static class TraceJson
{
    public static string Render(Timeline t)
    {
        var c = t.Source;
        var offending = t.Rows.SelectMany(r => r.Cells).SelectMany(e => e).Where(e => e.Offending).Select(e => e.Event).ToHashSet();
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("patcher", c.Patcher);
            w.WriteString("patcherDescription", c.PatcherDescription);
            w.WriteString("model", c.Model);
            w.WriteString("modelDescription", c.ModelDescription);
            w.WriteBoolean("nmiMayEndStiShadow", c.NmiMayEndStiShadow);
            if (c.Token is not null) w.WriteString("token", c.Token);
            if (c.Seed is not null) w.WriteString("seed", c.Seed);
            if (c.ExplainCommand is not null) w.WriteString("explain", c.ExplainCommand);
            WriteCase(w, c);
            w.WriteStartArray("violations");
            foreach (var v in c.Result.Violations) WriteViolation(w, v);
            w.WriteEndArray();
            w.WriteStartArray("lanes");
            foreach (var l in t.Lanes)
            {
                w.WriteStartObject();
                w.WriteString("title", l.Title);
                w.WriteNumber("cpu", l.Cpu);
                w.WriteBoolean("patcher", l.IsPatcher);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("steps", c.Result.Steps);
            w.WriteStartArray("events");
            foreach (var e in c.Result.Events) WriteEvent(w, e, offending.Contains(e));
            w.WriteEndArray();
            w.WriteStartArray("explanation");
            foreach (var line in t.Explanation.Lines) w.WriteStringValue(line);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    private static void WriteCase(Utf8JsonWriter w, Counterexample c)
    {
        var k = c.Case;
        w.WriteStartObject("case");
        w.WriteString("notation", CaseNotation.Of(k));
        w.WriteNumber("cpus", k.Cpus);
        w.WriteNumber("tasksPerCpu", k.TasksPerCpu);
        w.WriteStartArray("interruptsOffCpus");
        foreach (int cpu in k.InterruptsOffCpus) w.WriteNumberValue(cpu);
        w.WriteEndArray();
        w.WriteStartArray("requests");
        foreach (var r in c.Result.Requests)
        {
            w.WriteStartObject();
            w.WriteString("site", r.Site.Name);
            w.WriteString("address", Hex(r.Site.Address));
            w.WriteString("kind", r.Site.Kind.ToString());
            w.WriteNumber("length", r.Site.Length);
            w.WriteString("abi", r.Site.Abi.ToString());
            w.WriteString("old", Disassembly.Hex(r.Old));
            w.WriteString("oldText", Disassembly.Format(r.Site.Address, r.Old));
            w.WriteString("new", Disassembly.Hex(r.New));
            w.WriteString("newText", Disassembly.Format(r.Site.Address, r.New));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("schedule");
        w.WriteStartArray("runs");
        foreach (var run in k.Schedule.Runs)
        {
            w.WriteStartObject();
            w.WriteNumber("cpu", run.Cpu);
            w.WriteNumber("steps", run.Steps);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("interrupts");
        foreach (var x in k.Schedule.Interrupts)
        {
            w.WriteStartObject();
            w.WriteNumber("atStep", x.AtStep);
            w.WriteNumber("cpu", x.Cpu);
            w.WriteString("kind", x.Kind.ToString());
            if (x.InShadow) w.WriteBoolean("inShadow", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("fetchChoices");
        foreach (int f in k.Schedule.FetchChoices) w.WriteNumberValue(f);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNumber("livenessWindowSteps", k.LivenessWindowSteps);
        w.WriteBoolean("patcherRunsSites", k.PatcherRunsSites);
        w.WriteNumber("concurrentRequests", c.Result.Requests.Count - k.Batches.Sum(b => b.Count));
        w.WriteEndObject();
    }

    private static void WriteViolation(Utf8JsonWriter w, Violation v)
    {
        w.WriteStartObject();
        w.WriteString("property", v.Property);
        w.WriteNumber("cpu", v.Cpu);
        w.WriteNumber("step", v.Step);
        if (v.FromStep >= 0) w.WriteNumber("fromStep", v.FromStep);
        w.WriteNumber("clock", v.Clock);
        if (v.AtRunEnd) w.WriteBoolean("atRunEnd", true);
        if (v.Site is not null) w.WriteString("site", v.Site.Name);
        w.WriteString("message", v.Message);
        w.WriteEndObject();
    }

    private static void WriteEvent(Utf8JsonWriter w, TraceEvent e, bool offending)
    {
        w.WriteStartObject();
        w.WriteString("type", EventKinds.Of(e));
        w.WriteNumber("step", e.Step);
        w.WriteNumber("cpu", e.Cpu);
        w.WriteNumber("clock", e.Time);
        if (offending) w.WriteBoolean("offending", true);
        switch (e)
        {
            case InstructionRetired r:
                w.WriteString("rip", Hex(r.Rip));
                w.WriteString("text", Disassembly.Format(r.Instruction));
                if (r.Instruction is { HostName: null } i) w.WriteNumber("length", i.Length);
                break;
            case BreakpointTrapped b:
                w.WriteString("rip", Hex(b.Rip));
                w.WriteString("text", Disassembly.Format(b.Instruction));
                break;
            case EventDelivered d:
                w.WriteString("rip", Hex(d.Rip));
                w.WriteString("handler", Hex(d.Handler));
                w.WriteNumber("vector", d.Vector);
                w.WriteString("what", d.What);
                break;
            case CpuFaulted f:
                w.WriteString("fault", f.Fault);
                break;
            case InterruptRaised x:
                w.WriteString("kind", x.Kind.ToString());
                break;
            case SiteFetched f:
                w.WriteString("rip", Hex(f.Fetch.Rip));
                w.WriteString("bytes", Disassembly.Hex(f.Fetch.Bytes));
                w.WriteString("text", Disassembly.Format(f.Fetch.Instruction));
                w.WriteBoolean("stale", f.Fetch.IsStale);
                w.WriteStartArray("units");
                foreach (var (unit, bytes) in EventText.Units(f.Fetch))
                {
                    w.WriteStartObject();
                    w.WriteString("start", Hex(unit.Start));
                    w.WriteString("end", Hex(unit.End));
                    w.WriteNumber("clock", unit.Moment);
                    w.WriteString("bytes", Disassembly.Hex(bytes));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case WriterStored s:
                w.WriteString("writer", s.Writer);
                w.WriteString("address", Hex(s.Address));
                w.WriteString("bytes", Disassembly.Hex(s.Bytes));
                w.WriteNumber("width", s.WidthBits);
                break;
            case SyncIpiSent s:
                w.WriteString("writer", s.Writer);
                w.WriteStartArray("targets");
                foreach (int cpu in s.Targets) w.WriteNumberValue(cpu);
                w.WriteEndArray();
                break;
            case SyncCompleted s:
                w.WriteString("writer", s.Writer);
                break;
            case WriterWaits s:
                w.WriteString("writer", s.Writer);
                w.WriteString("for", s.For);
                break;
            case WriterAction a:
                w.WriteString("writer", a.Writer);
                w.WriteString("what", a.What);
                break;
            case WriterFailed f:
                w.WriteString("writer", f.Writer);
                w.WriteString("reason", f.Reason);
                break;
            case TaskSwitched s:
                w.WriteNumber("fromTask", s.FromTask);
                w.WriteString("fromName", s.FromName);
                w.WriteNumber("toTask", s.ToTask);
                w.WriteString("toName", s.ToName);
                break;
            case PatchingThreadSwitched p:
                w.WriteString("what", p.What);
                break;
            case HandlerAction h:
                w.WriteString("handler", h.Handler);
                w.WriteString("action", h.Action);
                break;
            case HandlerStored s:
                w.WriteString("handler", s.Handler);
                w.WriteString("address", Hex(s.Address));
                w.WriteString("bytes", Disassembly.Hex(s.Bytes));
                w.WriteNumber("width", s.WidthBits);
                break;
        }
        w.WriteEndObject();
    }

    private static string Hex(ulong value) => $"0x{value:x}";
}
