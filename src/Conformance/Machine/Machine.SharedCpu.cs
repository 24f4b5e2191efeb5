namespace Conformance.Machine;

/// <summary>
/// A CPU that runs both a writer and tasks: the writer is the patching thread, and the CPU runs
/// one or the other. Setting the writer raises a preempting timer on the CPU, whose delivery (at
/// an instruction boundary with IF=1, as any preemption) switches the patching thread in; a
/// preempting timer raised while the patching thread runs switches it out at its next preemption
/// point (<see cref="Writer.Preemptible"/>), so the CPU's tasks run mid-patch and may hit the
/// patcher's own int3s; when the writer finishes, the tasks run again. A task resumes through
/// <c>iretq</c>, so a switch back to the tasks serializes the CPU.
/// </summary>
public sealed partial class Machine
{
    private bool[] _writerRunning = [];      // per CPU: the patching thread has the CPU
    private bool[] _writerPreempted = [];    // per CPU: a preemption waits for the patching thread's next preemption point

    private void InitSharedCpus(int cpus)
    {
        _writerRunning = new bool[cpus];
        _writerPreempted = new bool[cpus];
    }

    /// <summary>Whether <paramref name="cpu"/> runs both a writer and tasks.</summary>
    public bool SharesCpu(int cpu) => _writers[cpu] is not null && _runQueues[cpu].Count > 0;

    /// <summary>
    /// Whether the next step of <paramref name="cpu"/> goes to its writer (the exhaustive explorer's
    /// writer steps): a CPU without tasks whose writer is set, or a shared CPU whose patching thread
    /// has it and is not finished.
    /// </summary>
    public bool WriterHolds(int cpu) => WriterHoldsCpu(cpu);

    /// <summary>Whether <paramref name="cpu"/> shares its CPU with a patching thread that is not finished.</summary>
    public bool SharedWithActiveWriter(int cpu) => SharesCpu(cpu) && _writers[cpu] is { Done: false };

    /// <summary>Whether a preemption of the patching thread on <paramref name="cpu"/> waits for its next preemption point.</summary>
    public bool WriterPreemptionWaits(int cpu) => _writerPreempted[cpu];

    /// <summary>
    /// Whether <paramref name="cpu"/> belongs to its writer: always on a CPU without tasks; on a
    /// shared CPU while the patching thread has it and is not finished.
    /// </summary>
    private bool WriterHoldsCpu(int cpu) =>
        _writers[cpu] is { } writer && (_runQueues[cpu].Count == 0 || (_writerRunning[cpu] && !writer.Done));

    /// <summary>Whether this step of <paramref name="cpu"/> goes to its writer; a finished patching thread first gives the CPU back.</summary>
    private bool WriterTakesStep(int cpu)
    {
        if (_writers[cpu] is { Done: true } && _runQueues[cpu].Count > 0 && _writerRunning[cpu])
            SwitchWriterOut(cpu, "the patching thread finished");
        return WriterHoldsCpu(cpu);
    }

    /// <summary>Called when a writer is set on a CPU that has tasks: the patching thread waits to be switched in.</summary>
    private void ShareCpuWithWriter(int cpu)
    {
        if (_writerRunning[cpu]) return;   // the patching thread still has the CPU: it goes on with the new patch
        _writerRunning[cpu] = false;
        _writerPreempted[cpu] = false;
        Cpus[cpu].RaiseInterrupt(PreemptVector);
        if (_events is not null) Record(new PatchingThreadSwitched(_step, cpu, Memory.Now, "patching thread ready: a preempting timer will switch it in"));
    }

    /// <summary>The preempting timer's handler on a shared CPU: the ready patching thread takes the CPU.</summary>
    private bool SwitchWriterIn(int cpu)
    {
        if (_writers[cpu] is not { Done: false } || _writerRunning[cpu]) return false;
        _writerRunning[cpu] = true;
        if (_events is not null) Record(new PatchingThreadSwitched(_step, cpu, Memory.Now, $"preempt: switch from {CurrentTask(cpu)} to the patching thread"));
        return true;
    }

    /// <summary>A preempting timer raised while the patching thread runs: it yields now if it can, else at its next preemption point.</summary>
    private bool PreemptWriter(int cpu)
    {
        if (!_writerRunning[cpu] || _writers[cpu] is not { Done: false } writer || _runQueues[cpu].Count == 0) return false;
        _writerPreempted[cpu] = true;
        if (writer.Preemptible) YieldIfPreempted(cpu);
        else if (_events is not null) Record(new PatchingThreadSwitched(_step, cpu, Memory.Now, "preempt: the patching thread is not preemptible here; it yields at its next preemption point"));
        return true;
    }

    /// <summary>At a preemption point of the writer of <paramref name="cpu"/>: yields the CPU if a preemption is waiting.</summary>
    private void YieldIfPreempted(int cpu)
    {
        if (!_writerPreempted[cpu] || _runQueues[cpu].Count == 0) return;
        SwitchWriterOut(cpu, "preempted");
    }

    private void SwitchWriterOut(int cpu, string why)
    {
        _writerRunning[cpu] = false;
        _writerPreempted[cpu] = false;
        Cpus[cpu].Serialize();   // the task resumes through iretq
        if (_events is not null) Record(new PatchingThreadSwitched(_step, cpu, Memory.Now, $"{why}: switch from the patching thread to {CurrentTask(cpu)}"));
    }

    /// <summary>
    /// For a fair run: the schedule's preemptions are over, so one still waiting for the patching
    /// thread's preemption point is dropped, and a ready patching thread that does not have its CPU
    /// gets a preempting timer, as a fair scheduler would give it the CPU.
    /// </summary>
    private void ScheduleReadyWriters()
    {
        for (int c = 0; c < Cpus.Count; c++)
        {
            _writerPreempted[c] = false;
            if (SharesCpu(c) && _writers[c] is { Done: false } && !_writerRunning[c] && !Cpus[c].IsPending(PreemptVector))
                Cpus[c].RaiseInterrupt(PreemptVector);
        }
    }
}
