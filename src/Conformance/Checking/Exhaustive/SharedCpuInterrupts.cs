using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// The explored interrupts on the patching CPU when it also runs sites (<c>--writer-runs-sites</c>,
/// spec/exhaustive.md, "The patching CPU running sites"). The machine switches between the patching
/// thread and the CPU's tasks only by a preempting timer (Machine.SharedCpu.cs), so the timer is the
/// choice that decides who runs there, and is offered as one (counted against
/// <see cref="ExhaustiveBound.Interrupts"/> like every explored delivery):
/// <list type="bullet">
/// <item>while the patching thread has the CPU (and can step): a preempting timer, which switches it out
/// at once or, where it is not preemptible, at its next preemption point; not while such a preemption
/// already waits;</item>
/// <item>while a task has the CPU and the patching thread is ready: a preempting timer (none pending), which
/// switches the patching thread back in (setting a writer raises one itself, so the first switch-in
/// needs no choice);</item>
/// <item>while a task has the CPU and no patch is in progress: what <see cref="ExploredInterrupts"/>
/// offers on a reader CPU (a task switch with 2 tasks; an NMI in an STI shadow with the NMI switch on).</item>
/// </list>
/// With <c>Reduce</c> off every kind is offered whenever a task has the CPU, and the preempting timer
/// whenever the patching thread has it, to check the reduction against.
/// </summary>
internal static class SharedCpuInterrupts
{
    /// <summary>Adds the interrupt alternatives on the shared <paramref name="writerCpu"/> (skipped when <paramref name="onlyCurrent"/> and it does not run).</summary>
    public static void Offer(Machine.Machine machine, int writerCpu, IReadOnlyList<bool> enabled, int current, bool onlyCurrent, bool reduce, List<Alternative> alternatives)
    {
        int c = writerCpu;
        if ((onlyCurrent && c != current) || !machine.SharesCpu(c)) return;
        var cpu = machine.Cpus[c];
        if (cpu.State.Run == RunState.Faulted || machine.CurrentTask(c) is null) return;
        bool pending = cpu.IsPending(Machine.Machine.PreemptVector);
        if (machine.WriterHolds(c))
        {
            // The chosen CPU runs next: only where the patching thread can step (not while its sync waits for other CPUs).
            if (enabled[c] && !machine.WriterPreemptionWaits(c)) alternatives.Add(new Alternative(c, InterruptKind.PreemptingTimer));
            return;
        }
        if (!reduce)
        {
            alternatives.Add(new Alternative(c, InterruptKind.Timer));
            alternatives.Add(new Alternative(c, InterruptKind.PreemptingTimer));
            if (!cpu.NmiPending) alternatives.Add(new Alternative(c, InterruptKind.Nmi));
            return;
        }
        if (!pending && (machine.SharedWithActiveWriter(c) || TasksOn(machine, c) >= 2))
            alternatives.Add(new Alternative(c, InterruptKind.PreemptingTimer));
        if (machine.Options.NmiMayEndStiShadow && cpu.State.Shadow == InterruptShadow.Sti && !cpu.NmiPending && !cpu.State.NmiBlocked)
            alternatives.Add(new Alternative(c, InterruptKind.Nmi));
    }

    private static int TasksOn(Machine.Machine machine, int cpu)
    {
        int n = 0;
        foreach (var t in machine.Tasks) if (t.Cpu == cpu) n++;
        return n;
    }
}
