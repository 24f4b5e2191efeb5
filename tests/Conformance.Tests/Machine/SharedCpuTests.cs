using Conformance.Machine;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// A CPU that runs both tasks and a writer: the writer is a patching thread that a preempting
/// timer switches in (only where the task can be interrupted) and out (only at the writer's
/// preemption points: before its first step, after a sync completes or a lock is released).
/// </summary>
public class SharedCpuTests
{
    private const ulong Entry = MachineLayout.Text, Counter = MachineLayout.Data, Byte0 = MachineLayout.Data + 0x100;

    /// <summary>One CPU (or two) whose cpu0 runs a counting loop; <paramref name="cli"/> runs it with IRQs off.</summary>
    private static Machine Counting(int cpus = 1, bool cli = false)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = cpus, RecordTrace = true });
        MachineLayout.Assemble(machine.Memory, Entry, a =>
        {
            var loop = a.CreateLabel();
            if (cli) a.cli();
            a.mov(rbx, Counter);
            a.Label(ref loop);
            a.inc(__qword_ptr[rbx]);
            a.jmp(loop);
        });
        machine.AddTask(0, "loop", Entry);
        return machine;
    }

    private static IEnumerable<WriterStep> StoreSyncStore() =>
    [
        new WriterStep.Store(Byte0, [1]), new WriterStep.Store(Byte0 + 1, [2]), new WriterStep.SyncCore(), new WriterStep.Store(Byte0 + 2, [3]),
    ];

    private static void Steps(Machine m, int n) { for (int i = 0; i < n; i++) m.Step(0); }

    private static ulong Count(Machine m) => MachineLayout.Read64(m.Memory, Counter);

    [Fact]
    public void A_writer_set_on_a_cpu_with_tasks_is_switched_in_by_a_preempting_timer_and_the_task_resumes_where_it_was()
    {
        var m = Counting();
        Steps(m, 5);
        ulong rip = m.Cpus[0].State.Rip, count = Count(m);
        m.SetWriter(0, StoreSyncStore(), "patcher");
        Assert.True(m.SharesCpu(0));
        Assert.Equal(MachineStepKind.Delivered, m.Step(0));   // the preempting timer, delivered at the task's boundary
        m.Step(0);                                             // its handler hands the CPU to the patching thread, iretq
        Assert.Equal(rip, m.Cpus[0].State.Rip);
        Assert.Equal(MachineStepKind.Writer, m.Step(0));       // store 1
        Assert.Equal(1, m.Memory.ByteAt(Byte0, m.Memory.Now));
        for (int i = 0; i < 10 && !m.WritersDone; i++) m.Step(0);
        Assert.True(m.WritersDone);
        Assert.Equal(3, m.Memory.ByteAt(Byte0 + 2, m.Memory.Now));
        Assert.Equal(count, Count(m));                         // the task did not run meanwhile
        m.Step(0);                                             // the writer is done: the task resumes
        Assert.Equal(MachineStepKind.Instruction, m.Step(0));
        Assert.True(Count(m) > count);
        Assert.Contains(m.Trace, l => l.Contains("the patching thread finished: switch from the patching thread to task 0"));
    }

    [Fact]
    public void A_preempting_timer_between_two_stores_waits_for_the_sync_then_the_task_runs_mid_patch()
    {
        var m = Counting();
        m.SetWriter(0, StoreSyncStore(), "patcher");
        Steps(m, 3);                                           // deliver, handler, store 1
        Assert.Equal(1, m.Memory.ByteAt(Byte0, m.Memory.Now));
        m.Raise(new ScheduledInterrupt(m.Steps, 0, InterruptKind.PreemptingTimer));
        Assert.Equal(MachineStepKind.Writer, m.Step(0));       // store 2: not a preemption point
        Assert.Equal(MachineStepKind.Writer, m.Step(0));       // sync: sent (no other CPU)
        long serialized = m.Cpus[0].State.LastSerializingTime;
        Assert.Equal(MachineStepKind.Writer, m.Step(0));       // sync complete: a preemption point, it yields
        Assert.True(m.Cpus[0].State.LastSerializingTime > serialized);    // the task resumes through iretq: serialized again
        ulong count = Count(m);
        Steps(m, 4);
        Assert.True(Count(m) > count);                          // the task runs mid-patch
        Assert.Equal(0, m.Memory.ByteAt(Byte0 + 2, m.Memory.Now));
        Assert.False(m.WritersDone);
        m.Raise(new ScheduledInterrupt(m.Steps, 0, InterruptKind.PreemptingTimer));
        Steps(m, 4);                                           // deliver, handler (writer in), store 3, done
        Assert.Equal(3, m.Memory.ByteAt(Byte0 + 2, m.Memory.Now));
    }

    [Fact]
    public void A_task_with_interrupts_off_keeps_the_cpu_until_the_writer_can_preempt_it()
    {
        var m = Counting(cli: true);
        Steps(m, 2);                                            // cli, mov
        m.SetWriter(0, StoreSyncStore(), "patcher");
        Steps(m, 20);
        Assert.Equal(0, m.Memory.ByteAt(Byte0, m.Memory.Now));   // never switched in: IF=0
        Assert.True(m.Cpus[0].IsPending(Machine.PreemptVector));
        Assert.Equal(LivenessVerdict.BudgetExhausted, m.RunFair(200).Verdict);
    }

    [Fact]
    public void A_fair_run_gives_a_switched_out_patching_thread_its_cpu_back()
    {
        var m = Counting(cpus: 2);
        m.SetWriter(0, StoreSyncStore(), "patcher");
        Steps(m, 5);                                            // in, store 1, store 2, sync sent (cpu1 idle acks), ...
        m.Raise(new ScheduledInterrupt(m.Steps, 0, InterruptKind.PreemptingTimer));
        Steps(m, 3);
        var live = m.RunFair(100);
        Assert.Equal(LivenessVerdict.Completed, live.Verdict);
        Assert.Equal(3, m.Memory.ByteAt(Byte0 + 2, m.Memory.Now));
    }

    [Fact]
    public void Another_writers_sync_is_acknowledged_at_once_by_a_cpu_whose_patching_thread_runs_and_by_the_task_otherwise()
    {
        var m = Counting(cpus: 2);
        m.SetWriter(0, [new WriterStep.Pause(), new WriterStep.Pause(), new WriterStep.Pause()], "patcher");
        Steps(m, 2);                                            // cpu0: the patching thread has the CPU
        m.SetWriter(1, [new WriterStep.SyncCore()], "other");
        m.Step(1);                                              // IPI sent
        Assert.Equal(MachineStepKind.Writer, m.Step(1));        // acknowledged: cpu0 runs no x86 code now
        Assert.True(m.WriterStatus(1) is "unfinished" or "done");
    }
}
