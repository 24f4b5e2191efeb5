namespace Conformance.Machine;

public sealed partial class Machine
{
    private readonly Dictionary<string, int> _locks = new(StringComparer.Ordinal);   // lock name -> holder CPU (lookups only)

    /// <summary>A CPU running its writer, or with no task, runs no x86 code (it would take an IPI at once).</summary>
    private bool RunsNoCode(int cpu) => _runQueues[cpu].Count == 0 || WriterHoldsCpu(cpu);

    /// <summary>Where the writer of <paramref name="cpu"/> stands: done, failed, waiting, or unfinished.</summary>
    public string WriterStatus(int cpu) => _writers[cpu] switch
    {
        null => "none",
        { Failure: { } f } => $"failed: {f}",
        { Done: true } => "done",
        { Waiting: true } => "waiting for sync acknowledgements",
        { Blocked: { } b } => $"blocked: {b}",
        _ => "unfinished",
    };

    /// <summary>The step the writer of <paramref name="cpu"/> drew last (running, waiting or done), or null.</summary>
    public WriterStep? CurrentWriterStep(int cpu) => _writers[cpu]?.Current;

    /// <summary>Why the writer of <paramref name="cpu"/> was stopped (it threw, or asked for something impossible), or null.</summary>
    public string? WriterFailure(int cpu) => _writers[cpu]?.Failure;

    /// <summary>The state of one writer: its steps, where it is, and the acknowledgements it waits for.</summary>
    private sealed class Writer(IEnumerable<WriterStep> steps, int cpus, string name)
    {
        private IEnumerator<WriterStep>? _steps;
        public readonly bool[] Pending = new bool[cpus];   // CPUs that have not yet acknowledged this writer's sync
        public readonly string Name = name;
        public bool Waiting;
        public bool Done;
        public string? Blocked;
        public string? Failure;
        public WriterStep? Current;
        /// <summary>How many steps it has drawn: part of the liveness fingerprint, since text is not hashed.</summary>
        public int Position;

        /// <summary>
        /// Whether the patching thread may be preempted here (when it shares its CPU with tasks): before
        /// its first step, after a sync completed or a lock was released, and while it sleeps on a lock
        /// or a condition. Between the stores of one protocol phase it may not: Linux's text_poke runs
        /// with IRQs off, and the suite does not know which stores one text_poke call groups.
        /// </summary>
        public bool Preemptible => Position == 0 || Blocked is not null || (!Waiting && Current is WriterStep.SyncCore or WriterStep.Release);

        /// <summary>Records <paramref name="cpu"/>'s acknowledgement; whether it was one this writer still waited for.</summary>
        public bool Acknowledge(int cpu)
        {
            bool was = Pending[cpu];
            Pending[cpu] = false;
            return was;
        }

        /// <summary>Draws the next step; a writer that throws is stopped with a failure naming the step and the cause.</summary>
        public bool MoveNext()
        {
            try
            {
                _steps ??= steps.GetEnumerator();
                if (_steps.MoveNext()) { Current = _steps.Current; Position++; return true; }
            }
            catch (WriterStopException e)
            {
                Failure = e.Message;
            }
            catch (Exception e)
            {
                Failure = $"{Name} threw {e.GetType().Name} while producing step {Position + 1} (after {Describe(Current)}): {e.Message}";
            }
            Done = true;
            return false;
        }

        public static string Describe(WriterStep? step) => step?.ToString() ?? "its start";
    }

    private MachineStepKind WriterStepOn(int cpuIndex, Writer writer)
    {
        Memory.Tick();
        if (writer.Waiting)
        {
            for (int c = 0; c < Cpus.Count; c++)
                if (writer.Pending[c])
                {
                    if (RunsNoCode(c)) { writer.Pending[c] = false; _writerProgress++; continue; }   // a writer or idle CPU runs no x86: it acknowledges at once
                    if (_events is not null) Record(new WriterWaits(_step, cpuIndex, Memory.Now, writer.Name, $"sync_core acknowledgements from {PendingCpus(writer)}"));
                    return MachineStepKind.Waiting;
                }
            writer.Waiting = false;
            if (_events is not null) Record(new SyncCompleted(_step, cpuIndex, Memory.Now, writer.Name));
            YieldIfPreempted(cpuIndex);
            return MachineStepKind.Writer;
        }
        if (writer.Blocked is not null)
        {
            if (!Unblocks(cpuIndex, writer, writer.Current!))
            {
                if (writer.Done) return Stopped(cpuIndex, writer);
                if (_events is not null) Record(new WriterWaits(_step, cpuIndex, Memory.Now, writer.Name, writer.Blocked));
                return MachineStepKind.Waiting;
            }
            writer.Blocked = null;
            if (_events is not null) Record(new WriterAction(_step, cpuIndex, Memory.Now, writer.Name, $"{writer.Current} (done waiting)"));
            return MachineStepKind.Writer;
        }
        if (writer.Done || !writer.MoveNext())
        {
            if (writer.Failure is { } failure && _events is not null) Record(new WriterFailed(_step, cpuIndex, Memory.Now, writer.Name, failure));
            return MachineStepKind.Idle;
        }
        switch (writer.Current)
        {
            case WriterStep.Store s:
                if (Memory.Find(s.Address) is not { } region || !region.Contains(s.Address, s.Bytes.Length))
                {
                    writer.Failure = $"{writer.Name} writer step #{writer.Position} ({s}) writes outside mapped memory: 0x{s.Address:x}..0x{s.Address + (ulong)s.Bytes.Length:x} is not inside one region";
                    writer.Done = true;
                    if (_events is not null) Record(new WriterFailed(_step, cpuIndex, Memory.Now, writer.Name, writer.Failure));
                    return MachineStepKind.Idle;
                }
                long t = Memory.Poke(s.Address, s.Bytes);
                if (_events is not null) Record(new WriterStored(_step, cpuIndex, t, writer.Name, s.Address, s.Bytes));
                break;
            case WriterStep.CompareExchange x:
                return CompareExchangeStep(cpuIndex, writer, x);
            case WriterStep.SyncCore:
                Cpus[cpuIndex].Serialize();
                for (int c = 0; c < Cpus.Count; c++)
                {
                    writer.Pending[c] = c != cpuIndex;
                    if (c != cpuIndex) Cpus[c].RaiseInterrupt(SyncIpiVector);
                }
                writer.Waiting = true;
                if (_events is not null)
                    Record(new SyncIpiSent(_step, cpuIndex, Memory.Now, writer.Name, OtherCpus(cpuIndex)));
                break;
            case WriterStep.Acquire or WriterStep.WaitUntil:
                if (Unblocks(cpuIndex, writer, writer.Current))
                {
                    if (_events is not null) Record(new WriterAction(_step, cpuIndex, Memory.Now, writer.Name, writer.Current.ToString()));
                    break;
                }
                if (writer.Done) return Stopped(cpuIndex, writer);
                writer.Blocked = writer.Current.ToString();
                if (_events is not null) Record(new WriterAction(_step, cpuIndex, Memory.Now, writer.Name, $"{writer.Current}: must wait"));
                YieldIfPreempted(cpuIndex);
                return MachineStepKind.Waiting;
            case WriterStep.Release r:
                if (!_locks.TryGetValue(r.Lock, out int holder) || holder != cpuIndex)
                {
                    writer.Failure = $"{writer.Name} writer step #{writer.Position} releases '{r.Lock}', which it does not hold";
                    writer.Done = true;
                    if (_events is not null) Record(new WriterFailed(_step, cpuIndex, Memory.Now, writer.Name, writer.Failure));
                    return MachineStepKind.Idle;
                }
                _locks.Remove(r.Lock);
                if (_events is not null) Record(new WriterAction(_step, cpuIndex, Memory.Now, writer.Name, r.ToString()));
                YieldIfPreempted(cpuIndex);
                break;
            default:
                if (_events is not null) Record(new WriterAction(_step, cpuIndex, Memory.Now, writer.Name, Writer.Describe(writer.Current)));
                break;
        }
        return MachineStepKind.Writer;
    }

    /// <summary>The CPUs whose acknowledgement a waiting writer still needs (for traces).</summary>
    // Not a lambda inside WriterStepOn: one capturing its parameter made the compiler allocate the
    // closure at the method's entry, on every writer step, traced or not.
    private int[] OtherCpus(int cpu) => Enumerable.Range(0, Cpus.Count).Where(c => c != cpu).ToArray();

    private string PendingCpus(Writer writer) =>
        string.Join(", ", writer.Pending.Select((p, c) => (p, c)).Where(x => x.p && !RunsNoCode(x.c)).Select(x => $"cpu{x.c}"));

    /// <summary>
    /// Whether a blocking step can complete now (and completes it: a lock is taken). A condition that
    /// throws stops the writer (<see cref="Writer.Done"/>, with the failure), as a step that throws does.
    /// </summary>
    private bool Unblocks(int cpu, Writer writer, WriterStep step)
    {
        switch (step)
        {
            case WriterStep.Acquire a:
                if (_locks.TryGetValue(a.Lock, out int holder) && holder != cpu) return false;
                _locks[a.Lock] = cpu;
                return true;
            case WriterStep.WaitUntil w:
                try { return w.Condition(); }
                catch (WriterStopException e) { writer.Failure = e.Message; }
                catch (Exception e) { writer.Failure = $"{writer.Name} threw {e.GetType().Name} in the condition of step {writer.Position} ({w}): {e.Message}"; }
                writer.Done = true;
                writer.Blocked = null;
                return false;
            default:
                return true;
        }
    }

    /// <summary>A writer stopped by a failure: recorded, and its CPU idles from now on.</summary>
    private MachineStepKind Stopped(int cpu, Writer writer)
    {
        if (_events is not null) Record(new WriterFailed(_step, cpu, Memory.Now, writer.Name, writer.Failure!));
        return MachineStepKind.Idle;
    }
}
