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
            // Like the call-function IPI, one delivery runs every queued request: it acknowledges
            // the pending sync of every writer that sent one to this CPU.
            cpu.Serialize();
            foreach (var w in m._writers)
                if (w is not null && w.Acknowledge(cpu.Id)) m._writerProgress++;
            if (m._events is not null) m.Record(new SyncIpiAcknowledged(m._step, cpu.Id, m.Memory.Now));
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
        if (SwitchWriterIn(cpu.Id)) return;
        var queue = _runQueues[cpu.Id];
        if (queue.Count < 2) return;
        var from = queue[_current[cpu.Id]];
        Array.Copy(cpu.State.Gpr, from.Registers, 16);
        from.Preemptions++;
        _current[cpu.Id] = (_current[cpu.Id] + 1) % queue.Count;
        var to = queue[_current[cpu.Id]];
        Array.Copy(to.Registers, cpu.State.Gpr, 16);
        if (_events is not null) Record(new TaskSwitched(_step, cpu.Id, Memory.Now, from.Id, from.Name, to.Id, to.Name));
    }

    /// <summary>Where a task is: its CPU's RIP if it runs, else the RIP in the interrupt frame it was suspended with.</summary>
    public ulong RipOf(MachineTask task)
    {
        if (CurrentTask(task.Cpu) == task) return Cpus[task.Cpu].State.Rip;
        Span<byte> b = stackalloc byte[8];
        Memory.ReadCurrent(task.Registers[(int)Gpr.Rsp], b);
        return BitConverter.ToUInt64(b);
    }

    /// <summary>The task running on <paramref name="cpu"/>, or null.</summary>
    public MachineTask? CurrentTask(int cpu) => _current[cpu] < 0 ? null : _runQueues[cpu][_current[cpu]];
}
