using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>
/// A machine of 1 to 8 CPUs over one shared memory and interrupt table. CPUs run tasks (x86 code
/// with their own stacks) or a writer (a host-side sequence of stores and syncs, as a patcher runs on
/// the patching CPU). A run follows a <see cref="Schedule"/> exactly: the same schedule on the same
/// machine does the same thing, byte for byte. The interrupt handlers it installs (timer,
/// preempting timer, NMI, the <c>sync_core</c> IPI) are host routines in a handler region.
/// </summary>
public sealed partial class Machine
{
    /// <summary>Vectors the machine uses (Linux's LOCAL_TIMER_VECTOR, a second timer vector, CALL_FUNCTION_VECTOR).</summary>
    public const byte TimerVector = 0xEC, PreemptVector = 0xED, SyncIpiVector = 0xFB;

    /// <summary>Where the machine's host handlers live; tasks' stacks are mapped from <see cref="StackArea"/> up.</summary>
    public const ulong HandlerBase = 0x7000_0000, StackArea = 0x7100_0000;

    private readonly List<MachineTask> _tasks = new();
    private readonly List<MachineTask>[] _runQueues;
    private readonly int[] _current;                 // per CPU: index into its run queue, or -1
    private readonly Writer?[] _writers;
    private readonly List<TraceEvent>? _events;    // only when tracing: the hot path allocates nothing for it otherwise
    private readonly List<string>? _trace;          // derived from _events, one line per event that has one
    private readonly List<FetchRecord> _fetches = new();
    private FetchChoices _choices = FetchChoices.Coherent;
    private int _writersSet;   // how many writers were ever set: part of the liveness fingerprint
    private long _step;

    public Machine(MachineOptions options, Memory? memory = null, InterruptTable? interrupts = null)
    {
        options.Validate();
        Options = options;
        Memory = memory ?? new Memory();
        Interrupts = interrupts ?? new InterruptTable();
        var cpuOptions = new CpuOptions { NmiMayEndStiShadow = options.NmiMayEndStiShadow };
        Cpus = Enumerable.Range(0, options.Cpus).Select(i => new Cpu(i, Memory, Interrupts, cpuOptions)).ToArray();
        _runQueues = Enumerable.Range(0, options.Cpus).Select(_ => new List<MachineTask>()).ToArray();
        _current = Enumerable.Repeat(-1, options.Cpus).ToArray();
        _writers = new Writer?[options.Cpus];
        _events = options.RecordTrace ? new List<TraceEvent>() : null;
        _trace = options.RecordTrace ? new List<string>() : null;
        InitSharedCpus(options.Cpus);
        InstallHandlers();
        // Steps taken without a schedule (Step, RunFair) fetch through the model too, coherently,
        // so their fetches are watched like those of a Run.
        UseFetchChoices(Array.Empty<int>());
    }

    public MachineOptions Options { get; }
    public Memory Memory { get; }
    public InterruptTable Interrupts { get; }
    public IReadOnlyList<Cpu> Cpus { get; }
    public IReadOnlyList<MachineTask> Tasks => _tasks;

    /// <summary>Called after every step with the CPU and what it did (checkers watch runs through it).</summary>
    public Action<int, MachineStepKind>? AfterStep { get; set; }

    /// <summary>Global steps taken so far.</summary>
    public long Steps => _step;

    /// <summary>The textual trace (when <see cref="MachineOptions.RecordTrace"/> is set): one line per <see cref="Events"/> entry that has one.</summary>
    public IReadOnlyList<string> Trace => _trace ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>The typed events of the run (when <see cref="MachineOptions.RecordTrace"/> is set), in the order they happened.</summary>
    public IReadOnlyList<TraceEvent> Events => _events ?? (IReadOnlyList<TraceEvent>)Array.Empty<TraceEvent>();

    /// <summary>Whether the machine records <see cref="Events"/>: host code checks it before building an event's text.</summary>
    public bool IsTracing => _events is not null;

    /// <summary>Fetches inside <see cref="MachineOptions.WatchedCode"/>, with their units and moments.</summary>
    public IReadOnlyList<FetchRecord> Fetches => _fetches;

    /// <summary>The fetch choices the run actually used (clamped): replaying them gives the same run.</summary>
    public IReadOnlyList<int> FetchChoicesTaken => _choices.Taken;

    /// <summary>For each fetch choice taken, how many versions there were.</summary>
    public IReadOnlyList<int> FetchChoiceOptions => _choices.Options;

    /// <summary>
    /// Adds a task that starts at <paramref name="entry"/> with IF=1 on its own fresh stack. The first
    /// task of a CPU starts running on it; later ones wait for a preempting timer.
    /// </summary>
    public MachineTask AddTask(int cpu, string name, ulong entry, int stackSize = 0x4000)
    {
        CheckCpu(cpu, nameof(cpu));
        int id = _tasks.Count;
        ulong @base = StackArea + (ulong)id * 0x10_0000;
        var stack = Memory.Map($"stack-task{id}", RegionKind.Stack, @base, stackSize);
        var task = new MachineTask(id, name, cpu, stack, entry);
        _tasks.Add(task);
        _runQueues[cpu].Add(task);
        if (_current[cpu] < 0)
        {
            _current[cpu] = 0;
            Load(Cpus[cpu], task);
            if (_writers[cpu] is { Done: false }) ShareCpuWithWriter(cpu);
        }
        else
            PrepareFirstFrame(task);
        return task;
    }

    /// <summary>
    /// Makes <paramref name="cpu"/> run a writer: one of <paramref name="steps"/> per machine step of
    /// that CPU. On a CPU that has tasks the writer is a patching thread sharing the CPU with them
    /// (Machine.SharedCpu.cs).
    /// </summary>
    public void SetWriter(int cpu, IEnumerable<WriterStep> steps, string name = "writer")
    {
        CheckCpu(cpu, nameof(cpu));
        _writers[cpu] = new Writer(steps, Cpus.Count, name);
        _writersSet++;
        if (_runQueues[cpu].Count > 0) ShareCpuWithWriter(cpu);
    }

    /// <summary>
    /// Whether every writer has run all its steps (and its last sync was acknowledged). Steps are
    /// drawn lazily (a patcher's next step may depend on what it reads), so a writer learns it has
    /// no step left, and becomes done, at the step after its last one.
    /// </summary>
    public bool WritersDone => _writers.All(w => w is null || w.Done);

    /// <summary>Runs a schedule to its end. Bad schedule data throws an <see cref="ArgumentException"/> naming the field.</summary>
    public void Run(Schedule schedule) => Run(schedule, afterStep: null);

    /// <summary>Runs a schedule, calling <paramref name="afterStep"/> after each step (with the step's index) until it says stop.</summary>
    private void Run(Schedule schedule, Func<long, bool>? afterStep)
    {
        schedule.Validate(Cpus.Count);
        UseFetchChoices(schedule.FetchChoices);
        var interrupts = new InterruptQueue(schedule.Interrupts);
        foreach (var run in schedule.Runs)
            for (int k = 0; k < run.Steps; k++)
            {
                long step = _step;
                interrupts.RaiseDue(this);
                Step(run.Cpu);
                if (afterStep is not null && !afterStep(step)) return;
            }
    }

    /// <summary>
    /// A schedule's interrupts in the order they are raised: by step, then as listed; one that waits
    /// for an interrupt shadow is armed at its step and raised at the first step its CPU is in one.
    /// </summary>
    private sealed class InterruptQueue(IReadOnlyList<ScheduledInterrupt> interrupts)
    {
        private readonly ScheduledInterrupt[] _sorted =
            interrupts.Select((x, i) => (x, i)).OrderBy(p => p.x.AtStep).ThenBy(p => p.i).Select(p => p.x).ToArray();
        private readonly List<ScheduledInterrupt> _armed = new();   // in the order they were armed
        private int _next;

        /// <summary>Raises every interrupt due before the machine's next step.</summary>
        public void RaiseDue(Machine machine)
        {
            while (_next < _sorted.Length && _sorted[_next].AtStep <= machine._step)
            {
                var x = _sorted[_next++];
                if (x.InShadow) _armed.Add(x);
                else machine.Raise(x);
            }
            for (int i = 0; i < _armed.Count; i++)
                if (machine.Cpus[_armed[i].Cpu].State.Shadow != InterruptShadow.None)
                {
                    machine.Raise(_armed[i]);
                    _armed.RemoveAt(i--);
                }
        }
    }

    /// <summary>Sets the fetch choices for the steps that follow (a fresh <see cref="FetchChoices"/>).</summary>
    public void UseFetchChoices(IReadOnlyList<int> choices)
    {
        _choices = new FetchChoices(choices);
        foreach (var cpu in Cpus)
            cpu.Fetcher = new InstructionFetcher(Memory, Options.FetchModel, _choices, Options.StalenessWindow,
                Options.WatchedCode.Count > 0 || _trace is not null ? OnFetch : null, IsWatched);
    }

    /// <summary>Raises a scheduled interrupt now.</summary>
    public void Raise(ScheduledInterrupt x)
    {
        var cpu = Cpus[x.Cpu];
        switch (x.Kind)
        {
            case InterruptKind.Timer: cpu.RaiseInterrupt(TimerVector); break;
            case InterruptKind.PreemptingTimer:
                if (!PreemptWriter(x.Cpu)) cpu.RaiseInterrupt(PreemptVector);
                break;
            default: cpu.RaiseNmi(); break;
        }
        if (_events is not null) Record(new InterruptRaised(_step, x.Cpu, Memory.Now, x.Kind));
    }

    /// <summary>One step of one CPU: a writer step, or the CPU's own step.</summary>
    public MachineStepKind Step(int cpuIndex)
    {
        var cpu = Cpus[cpuIndex];
        MachineStepKind kind;
        if (WriterTakesStep(cpuIndex))
            kind = WriterStepOn(cpuIndex, _writers[cpuIndex]!);
        else if (_runQueues[cpuIndex].Count == 0)
        {
            Memory.Tick();   // an idle CPU: nothing to run
            kind = MachineStepKind.Idle;
        }
        else
        {
            ulong rip = cpu.State.Rip;
            var result = cpu.Step();
            kind = result switch
            {
                StepResult.Retired => MachineStepKind.Instruction,
                StepResult.Trapped => MachineStepKind.Trap,
                StepResult.Delivered => MachineStepKind.Delivered,
                StepResult.Halted => MachineStepKind.Halted,
                _ => MachineStepKind.Faulted,
            };
            if (_events is not null) Record(Describe(cpuIndex, kind, rip));
        }
        if (kind is MachineStepKind.Writer or MachineStepKind.Delivered) _relevantEvents++;
        if (kind is MachineStepKind.Writer) _writerProgress++;
        AfterStep?.Invoke(cpuIndex, kind);
        _step++;
        return kind;
    }

    private void CheckCpu(int cpu, string field)
    {
        if (cpu < 0 || cpu >= Cpus.Count) throw new ArgumentException($"{field} = {cpu}: the machine has {Cpus.Count} CPU(s), numbered 0..{Cpus.Count - 1}");
    }

    /// <summary>Whether a fetch of <paramref name="length"/> bytes at <paramref name="rip"/> touches watched code (only those are recorded).</summary>
    private bool IsWatched(ulong rip, int length)
    {
        var watched = Options.WatchedCode;
        for (int i = 0; i < watched.Count; i++)   // indexed: a foreach over the interface would allocate an enumerator every step
            if (rip < watched[i].End && rip + (ulong)length > watched[i].Start) return true;
        return false;
    }

    private void OnFetch(FetchRecord record)
    {
        foreach (var (start, end) in Options.WatchedCode)
            if (record.Rip < end && record.Rip + (ulong)Math.Max(1, record.Bytes.Length) > start)
            {
                record.Step = _step;
                _fetches.Add(record);
                _relevantEvents++;
                if (_events is not null) Record(new SiteFetched(_step, record.Cpu, record.Time, record));
                return;
            }
    }

    /// <summary>Records an event and its line of the text trace. Callers check <see cref="IsTracing"/> first, so an untraced run builds nothing.</summary>
    private void Record(TraceEvent e)
    {
        _events!.Add(e);
        if (e.Line is { } line) _trace!.Add($"{e.Step,6} cpu{e.Cpu} {line}");
    }

    /// <summary>Records what a host handler (a patcher's #BP handler) did on <paramref name="cpu"/>; nothing when not tracing.</summary>
    public void RecordHandlerAction(int cpu, string handler, string action)
    {
        if (_events is not null) Record(new HandlerAction(_step, cpu, Memory.Now, handler, action));
    }

    /// <summary>Records a host handler's store into code, which landed at <paramref name="time"/>; nothing when not tracing.</summary>
    public void RecordHandlerStore(int cpu, string handler, ulong address, byte[] bytes, long time)
    {
        if (_events is not null) Record(new HandlerStored(_step, cpu, time, handler, address, bytes));
    }

    private TraceEvent Describe(int cpuIndex, MachineStepKind kind, ulong rip)
    {
        var cpu = Cpus[cpuIndex];
        long now = Memory.Now;
        return kind switch
        {
            MachineStepKind.Faulted => new CpuFaulted(_step, cpuIndex, now, cpu.State.Fault?.ToString() ?? ""),
            MachineStepKind.Delivered => new EventDelivered(_step, cpuIndex, now, rip, cpu.State.Rip, cpu.LastDeliveredVector, VectorName(cpu.LastDeliveredVector)),
            MachineStepKind.Halted => new CpuHalted(_step, cpuIndex, now),
            MachineStepKind.Trap => new BreakpointTrapped(_step, cpuIndex, now, rip, cpu.LastInstruction),
            _ => new InstructionRetired(_step, cpuIndex, now, rip, cpu.LastInstruction),
        };
    }

    /// <summary>What a vector is, for traces: the machine's own vectors by name.</summary>
    public static string VectorName(byte vector) => vector switch
    {
        TimerVector => "timer",
        PreemptVector => "preempting timer",
        SyncIpiVector => "sync_core IPI",
        Vectors.Nmi => "NMI",
        Vectors.Breakpoint => "#BP",
        _ => $"vector 0x{vector:x2}",
    };
}
