using Conformance.Emulation;

namespace Conformance.Machine;

public sealed partial class Machine
{
    private Initial? _initial;

    /// <summary>
    /// Remembers the machine as it is now, set up but not yet run (regions mapped, code loaded,
    /// tasks added, no writer), as the state <see cref="Reset"/> returns to.
    /// </summary>
    public void MarkInitial()
    {
        if (_step != 0 || _writers.Any(w => w is not null) || _locks.Count > 0)
            throw new InvalidOperationException("mark the initial state before the machine runs or gets a writer");
        _initial = new Initial(this);
    }

    /// <summary>
    /// Puts the machine back in the state <see cref="MarkInitial"/> remembered, as if it had just been
    /// built and set up: the same run then does the same thing, byte for byte, as on a fresh machine.
    /// Cheaper than building one: regions, tasks and handlers stay, only what a run changed is put back,
    /// and the decode cache keeps every instruction whose bytes did not change.
    /// </summary>
    public void Reset()
    {
        var initial = _initial ?? throw new InvalidOperationException("Reset needs MarkInitial first");
        if (_tasks.Count != initial.Tasks.Length) throw new InvalidOperationException("tasks were added after MarkInitial: Reset cannot take them away");
        Memory.Restore(initial.Memory);
        for (int c = 0; c < Cpus.Count; c++) Cpus[c].Restore(initial.Cpus[c]);
        for (int t = 0; t < _tasks.Count; t++) initial.Tasks[t].RestoreInto(_tasks[t]);
        initial.Current.CopyTo(_current, 0);
        Array.Clear(_writers);
        initial.WriterRunning.CopyTo(_writerRunning, 0);
        initial.WriterPreempted.CopyTo(_writerPreempted, 0);
        _writersSet = initial.WritersSet;
        _locks.Clear();
        _events?.Clear();
        _trace?.Clear();
        _fetches.Clear();
        _step = initial.Step;
        _relevantEvents = initial.RelevantEvents;
        AfterStep = initial.AfterStep;
        UseFetchChoices(Array.Empty<int>());
    }

    /// <summary>What <see cref="Reset"/> puts back.</summary>
    private sealed class Initial(Machine m)
    {
        public readonly MemorySnapshot Memory = m.Memory.Snapshot();
        public readonly Cpu.Saved[] Cpus = m.Cpus.Select(c => c.Save()).ToArray();
        public readonly SavedTask[] Tasks = m._tasks.Select(t => new SavedTask(t)).ToArray();
        public readonly int[] Current = (int[])m._current.Clone();
        public readonly bool[] WriterRunning = (bool[])m._writerRunning.Clone(), WriterPreempted = (bool[])m._writerPreempted.Clone();
        public readonly int WritersSet = m._writersSet;
        public readonly long Step = m._step, RelevantEvents = m._relevantEvents;
        public readonly Action<int, MachineStepKind>? AfterStep = m.AfterStep;
    }

    private sealed class SavedTask(MachineTask t)
    {
        private readonly ulong[] _registers = (ulong[])t.Registers.Clone();
        private readonly ulong _rip = t.Rip;
        private readonly RFlags _flags = t.Flags;
        private readonly int _preemptions = t.Preemptions;

        public void RestoreInto(MachineTask t)
        {
            _registers.CopyTo(t.Registers, 0);
            t.Rip = _rip;
            t.Flags = _flags;
            t.Preemptions = _preemptions;
        }
    }
}
