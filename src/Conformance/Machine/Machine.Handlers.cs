using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>The machine's interrupt handlers (host routines), task switching and the writer.</summary>
public sealed partial class Machine
{
    private void InstallHandlers()
    {
        Memory.Map("machine-handlers", RegionKind.Stub, HandlerBase, 0x1000);
        Bind(TimerVector, 0x00, new Handler("timer", (m, cpu) => { }));
        Bind(PreemptVector, 0x10, new Handler("preempting timer", (m, cpu) => m.SwitchTask(cpu)));
        Bind(Vectors.Nmi, 0x20, new Handler("nmi", (m, cpu) => { }));
        Bind(SyncIpiVector, 0x30, new Handler("sync_core ipi", (m, cpu) =>
        {
            cpu.Serialize();
            m._acked[cpu.Id] = true;
            m.Log(cpu.Id, "sync_core: serialized, acknowledged");
        }));
    }

    private void Bind(byte vector, ulong offset, Handler handler)
    {
        handler.Machine = this;
        Memory.Decoded.BindHost(HandlerBase + offset, handler);
        Interrupts.Set(vector, HandlerBase + offset);
    }

    /// <summary>A handler: does its work on the CPU, then returns from the interrupt through the frame.</summary>
    private sealed class Handler(string name, Action<Machine, Cpu> body) : IHostRoutine
    {
        public Machine Machine { get; set; } = null!;
        public string Name { get; } = name;

        public HostOutcome Run(Cpu cpu)
        {
            body(Machine, cpu);
            return HostOutcome.InterruptReturn;
        }
    }

    // ---- tasks -------------------------------------------------------------------------------

    private static void Load(Cpu cpu, MachineTask task)
    {
        Array.Copy(task.Registers, cpu.State.Gpr, 16);
        cpu.State.Rip = task.Rip;
        cpu.State.Flags = task.Flags;
    }

    /// <summary>
    /// A task that has never run gets the frame a preempting timer would have left: switching to it
    /// is then always "load its registers, iretq".
    /// </summary>
    private void PrepareFirstFrame(MachineTask task)
    {
        ulong top = task.Stack.End;
        ulong frame = top - 40;
        Span<byte> bytes = stackalloc byte[40];
        Write(bytes, 0, task.Rip);
        Write(bytes, 8, 0x10);
        Write(bytes, 16, (ulong)task.Flags);
        Write(bytes, 24, top);
        Write(bytes, 32, 0x18);
        Memory.Load(frame, bytes);
        task.Registers[(int)Gpr.Rsp] = frame;

        static void Write(Span<byte> b, int at, ulong v) => BitConverter.TryWriteBytes(b.Slice(at, 8), v);
    }

    /// <summary>
    /// The preempting timer's handler: save the running task's registers (its RSP points at the
    /// interrupt frame on its own stack) and load the next task of this CPU's run queue, whose RSP
    /// points at its own frame; the handler's <c>iretq</c> then resumes it wherever it was.
    /// </summary>
    private void SwitchTask(Cpu cpu)
    {
        var queue = _runQueues[cpu.Id];
        if (queue.Count < 2) return;
        var from = queue[_current[cpu.Id]];
        Array.Copy(cpu.State.Gpr, from.Registers, 16);
        from.Preemptions++;
        _current[cpu.Id] = (_current[cpu.Id] + 1) % queue.Count;
        var to = queue[_current[cpu.Id]];
        Array.Copy(to.Registers, cpu.State.Gpr, 16);
        Log(cpu.Id, $"preempt: switch from task {from.Id} '{from.Name}' to task {to.Id} '{to.Name}'");
    }

    /// <summary>The task running on <paramref name="cpu"/>, or null.</summary>
    public MachineTask? CurrentTask(int cpu) => _current[cpu] < 0 ? null : _runQueues[cpu][_current[cpu]];

    // ---- the writer --------------------------------------------------------------------------

    /// <summary>A CPU with a writer or with no task runs no x86 code (an idle CPU would take an IPI at once).</summary>
    private bool RunsNoCode(int cpu) => _writers[cpu] is not null || _runQueues[cpu].Count == 0;

    /// <summary>Where the writer of <paramref name="cpu"/> stands: done, waiting for sync acknowledgements, or unfinished.</summary>
    public string WriterStatus(int cpu) => _writers[cpu] switch
    {
        null => "none",
        { Done: true } => "done",
        { Waiting: true } => "waiting for sync acknowledgements",
        _ => "unfinished",
    };

    private sealed class Writer(IEnumerable<WriterStep> steps)
    {
        private readonly IEnumerator<WriterStep> _steps = steps.GetEnumerator();
        public bool Waiting;
        public bool Done;
        public WriterStep? Current;
        /// <summary>How many steps were drawn: where the writer stands (and so what it has stored).</summary>
        public long Position;

        public bool MoveNext()
        {
            if (_steps.MoveNext()) { Current = _steps.Current; Position++; return true; }
            Done = true;
            return false;
        }
    }

    private MachineStepKind WriterStepOn(int cpuIndex, Writer writer)
    {
        Memory.Tick();
        if (writer.Waiting)
        {
            for (int c = 0; c < Cpus.Count; c++)
                if (c != cpuIndex && !_acked[c])
                {
                    if (RunsNoCode(c)) { _acked[c] = true; continue; }   // a writer or idle CPU runs no x86: it acknowledges at once
                    return MachineStepKind.Waiting;
                }
            writer.Waiting = false;
            Log(cpuIndex, "writer: sync_core complete (every CPU acknowledged)");
            return MachineStepKind.Writer;
        }
        if (writer.Done || !writer.MoveNext()) return MachineStepKind.Idle;
        switch (writer.Current)
        {
            case WriterStep.Store s:
                long t = Memory.Poke(s.Address, s.Bytes);
                Log(cpuIndex, $"writer: {s} (t={t})");
                break;
            case WriterStep.SyncCore:
                Cpus[cpuIndex].Serialize();
                for (int c = 0; c < Cpus.Count; c++)
                {
                    _acked[c] = c == cpuIndex;
                    if (c != cpuIndex) Cpus[c].RaiseInterrupt(SyncIpiVector);
                }
                writer.Waiting = true;
                Log(cpuIndex, "writer: sync_core: IPI sent to every other CPU");
                break;
            default:
                Log(cpuIndex, $"writer: {writer.Current}");
                break;
        }
        return MachineStepKind.Writer;
    }
}
