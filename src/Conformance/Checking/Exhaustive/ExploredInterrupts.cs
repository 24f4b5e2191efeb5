using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// One alternative at a scheduling point: the CPU that runs next and, when not null, the interrupt
/// raised on it just before its step (an explored delivery, <see cref="ExploredInterrupts"/>).
/// </summary>
public readonly record struct Alternative(int Cpu, InterruptKind? Interrupt = null);

/// <summary>
/// The interrupts the explorer delivers as choices (spec/exhaustive.md, "Interrupts"): at a
/// scheduling point, besides "CPU c runs next", "raise interrupt k on reader CPU c, then c runs
/// next", while the execution has had fewer than <see cref="ExhaustiveBound.Interrupts"/>. Raised
/// just before c's step, the interrupt is delivered there when c can take it (IF=1, no shadow; an
/// NMI unless blocked), else it waits, as on hardware, for the <c>sti</c> that lets it in. Only the
/// interrupts that can change an outcome are offered:
/// <list type="bullet">
/// <item>a <b>preempting timer</b> on a reader CPU with a second task that has none pending: its
/// handler switches tasks, leaving the running one suspended wherever it was (inside a stub too);</item>
/// <item>an <b>NMI</b> on a reader CPU standing in an STI shadow, when the machine's
/// NMI-may-end-the-STI-shadow switch is on and no NMI is pending or blocked: it lands in the
/// shadow and its <c>iretq</c> ends it, so a pending interrupt is taken before the instruction
/// the shadow covered.</item>
/// </list>
/// Any other delivery (a plain timer; an NMI elsewhere, or with the switch off; a preempting timer
/// with one task, which switches to the same task) pushes a frame below RSP, runs a handler that
/// does nothing and returns with <c>iretq</c>, restoring every register and flag: its only lasting
/// effect is a serialization, which only narrows the versions later fetches may read. Every
/// execution with it has one without it that reads the same bytes at every fetch and takes the same
/// instructions, so leaving it out loses no outcome (checked with <c>Reduce</c> off, which offers
/// every kind on every reader CPU at every point).
/// </summary>
internal static class ExploredInterrupts
{
    /// <summary>
    /// Adds the interrupt alternatives at this scheduling point to <paramref name="alternatives"/>:
    /// on every reader CPU, or only on <paramref name="current"/> when no preemption is left (the
    /// CPU that receives the interrupt runs next).
    /// </summary>
    public static void Offer(Machine.Machine machine, int writerCpu, int current, bool onlyCurrent, bool reduce, List<Alternative> alternatives)
    {
        for (int c = 0; c < machine.Cpus.Count; c++)
        {
            if (c == writerCpu || (onlyCurrent && c != current)) continue;
            var cpu = machine.Cpus[c];
            if (cpu.State.Run == RunState.Faulted || machine.CurrentTask(c) is null) continue;
            if (!reduce)
            {
                alternatives.Add(new Alternative(c, InterruptKind.Timer));
                alternatives.Add(new Alternative(c, InterruptKind.PreemptingTimer));
                if (!cpu.NmiPending) alternatives.Add(new Alternative(c, InterruptKind.Nmi));
                continue;
            }
            if (TasksOn(machine, c) >= 2 && !cpu.IsPending(Machine.Machine.PreemptVector))
                alternatives.Add(new Alternative(c, InterruptKind.PreemptingTimer));
            if (machine.Options.NmiMayEndStiShadow && cpu.State.Shadow == InterruptShadow.Sti && !cpu.NmiPending && !cpu.State.NmiBlocked)
                alternatives.Add(new Alternative(c, InterruptKind.Nmi));
        }
    }

    private static int TasksOn(Machine.Machine machine, int cpu)
    {
        int n = 0;
        foreach (var t in machine.Tasks) if (t.Cpu == cpu) n++;
        return n;
    }
}
