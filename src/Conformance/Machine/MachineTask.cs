using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>
/// A task: x86 code with its own stack and saved registers. A CPU runs one task at a time; a
/// preempting timer saves the running task (its RSP pointing at the interrupt frame on its own
/// stack, wherever it was, inside a stub too) and resumes the CPU's next task.
/// </summary>
public sealed class MachineTask
{
    internal MachineTask(int id, string name, int cpu, MemoryRegion stack, ulong entry)
    {
        Id = id;
        Name = name;
        Cpu = cpu;
        Stack = stack;
        Registers[(int)Gpr.Rsp] = stack.End;
        Rip = entry;
        Flags = RFlags.Reserved1 | RFlags.IF;
    }

    public int Id { get; }
    public string Name { get; }
    /// <summary>The CPU whose run queue holds this task.</summary>
    public int Cpu { get; }
    public MemoryRegion Stack { get; }

    /// <summary>Saved registers while the task is not running.</summary>
    public ulong[] Registers { get; } = new ulong[16];
    public ulong Rip { get; internal set; }
    public RFlags Flags { get; internal set; }

    /// <summary>How many times the task was switched out.</summary>
    public int Preemptions { get; internal set; }

    public override string ToString() => $"task {Id} '{Name}' on cpu{Cpu}";
}
