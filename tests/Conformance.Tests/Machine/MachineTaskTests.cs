using Conformance.Emulation;
using Conformance.Machine;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>Tasks on a CPU: the timer, the preempting timer that switches tasks, and NMIs, all raised by the schedule.</summary>
public class MachineTaskTests
{
    private const ulong EntryA = MachineLayout.Text, EntryB = MachineLayout.Text + 0x100;
    private const ulong CounterA = MachineLayout.Data, CounterB = MachineLayout.Data + 8;

    /// <summary>
    /// At <paramref name="entry"/>: <c>mov rbx, counter; loop: inc qword [rbx]; jmp loop</c>. Both
    /// tasks keep their counter's address in RBX, so a switch that lost registers would be seen.
    /// </summary>
    private static void Counter(Machine machine, ulong entry, ulong counter, bool cli = false) =>
        MachineLayout.Assemble(machine.Memory, entry, a =>
        {
            var loop = a.CreateLabel();
            if (cli) a.cli();
            a.mov(rbx, counter);
            a.Label(ref loop);
            a.inc(__qword_ptr[rbx]);
            a.jmp(loop);
        });

    private static Machine TwoCounters(out MachineTask a, out MachineTask b)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 1, RecordTrace = true });
        Counter(machine, EntryA, CounterA);
        Counter(machine, EntryB, CounterB);
        a = machine.AddTask(0, "a", EntryA);
        b = machine.AddTask(0, "b", EntryB);
        return machine;
    }

    private static Schedule Cpu0(int steps, params ScheduledInterrupt[] interrupts) => new([new ScheduleRun(0, steps)], interrupts, []);

    private static ScheduledInterrupt At(long step, InterruptKind kind) => new(step, 0, kind);

    [Fact]
    public void The_first_task_starts_on_its_cpu_the_second_waits()
    {
        var machine = TwoCounters(out var a, out var b);
        Assert.Same(a, machine.CurrentTask(0));
        Assert.Equal(EntryA, machine.Cpus[0].State.Rip);
        Assert.Equal(a.Stack.End, machine.Cpus[0].State.Rsp);
        Assert.True(machine.Cpus[0].State.InterruptsEnabled);
        Assert.Equal(new[] { a, b }, machine.Tasks);
        Assert.NotEqual(a.Stack.Base, b.Stack.Base);
        Assert.Equal(RegionKind.Stack, b.Stack.Kind);
    }

    [Fact]
    public void Preempting_timers_share_the_cpu_and_both_counters_advance()
    {
        var machine = TwoCounters(out var a, out var b);

        machine.Run(Cpu0(200, At(50, InterruptKind.PreemptingTimer), At(100, InterruptKind.PreemptingTimer), At(150, InterruptKind.PreemptingTimer)));

        // a: steps 0-49 (mov, then inc/jmp: 25 incs) and 102-149 (resumes at its jmp: 24 incs);
        // b: steps 52-99 (mov, 24 incs) and 152-199 (resumes at its jmp: 24 incs). Each timer is
        // two steps: the delivery, then the handler that switches and returns with iretq.
        Assert.Equal(49UL, MachineLayout.Read64(machine.Memory, CounterA));
        Assert.Equal(48UL, MachineLayout.Read64(machine.Memory, CounterB));
        Assert.Equal(2, a.Preemptions);
        Assert.Equal(1, b.Preemptions);
        Assert.Same(b, machine.CurrentTask(0));
        Assert.Equal(3, machine.Trace.Count(l => l.Contains("preempt: switch", StringComparison.Ordinal)));
        Assert.Contains(machine.Trace, l => l.Trim() == "100 cpu0 raise PreemptingTimer");
        Assert.Contains(machine.Trace, l => l.Trim() == "101 cpu0 preempt: switch from task 1 'b' to task 0 'a'");
    }

    [Fact]
    public void A_task_preempted_inside_a_stub_resumes_exactly_where_it_was()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 1 });
        // The stub: a sequence whose middle must not be lost: rax = 0x11 + 0x22; rcx = 2 * rax; [rbx] = rcx.
        var s = new Assembler(64);
        var middle = s.CreateLabel();
        s.mov(rax, 0x11);
        s.add(rax, 0x22);
        s.Label(ref middle);
        s.mov(rcx, rax);
        s.add(rcx, rcx);
        s.mov(__qword_ptr[rbx], rcx);
        s.ret();
        ulong resumeAt = MachineLayout.Place(machine.Memory, s, MachineLayout.Stubs).GetLabelRIP(middle);

        var t = new Assembler(64);
        var done = t.CreateLabel();
        t.mov(rbx, CounterA);
        t.call(MachineLayout.Stubs);
        t.Label(ref done);
        t.jmp(done);
        ulong doneAt = MachineLayout.Place(machine.Memory, t, EntryA).GetLabelRIP(done);

        // b clobbers every register a uses.
        MachineLayout.Assemble(machine.Memory, EntryB, x =>
        {
            var loop = x.CreateLabel();
            x.mov(rax, -1);
            x.mov(rcx, -1);
            x.mov(rbx, CounterB);
            x.Label(ref loop);
            x.inc(__qword_ptr[rbx]);
            x.jmp(loop);
        });
        var a = machine.AddTask(0, "a", EntryA);
        var b = machine.AddTask(0, "b", EntryB);

        // a: mov rbx, call, mov rax, add rax; then the timer (delivery at 4, switch at 5).
        machine.Run(Cpu0(6, At(4, InterruptKind.PreemptingTimer)));

        Assert.Same(b, machine.CurrentTask(0));
        Assert.Equal(EntryB, machine.Cpus[0].State.Rip);
        Assert.Equal(0x33UL, a.Registers[(int)Gpr.Rax]);
        Assert.Equal(CounterA, a.Registers[(int)Gpr.Rbx]);
        ulong frame = a.Registers[(int)Gpr.Rsp];
        Assert.Equal(resumeAt, MachineLayout.Read64(machine.Memory, frame));                 // the frame's RIP: mid-stub
        Assert.Equal(a.Stack.End - 8, MachineLayout.Read64(machine.Memory, frame + 24));      // the frame's RSP: below the return address
        Assert.Equal(doneAt, MachineLayout.Read64(machine.Memory, a.Stack.End - 8));          // the call's return address

        // b: 3 movs, then inc/jmp (11 incs in steps 9-29); the timer at 30 switches back to a.
        machine.Run(Cpu0(30, At(30, InterruptKind.PreemptingTimer)));

        var state = machine.Cpus[0].State;
        Assert.Same(a, machine.CurrentTask(0));
        Assert.Equal(11UL, MachineLayout.Read64(machine.Memory, CounterB));
        Assert.Equal(0x66UL, MachineLayout.Read64(machine.Memory, CounterA));   // the sequence completed with a's values
        Assert.Equal(doneAt, state.Rip);
        Assert.Equal(0x33UL, state[Gpr.Rax]);
        Assert.Equal(0x66UL, state[Gpr.Rcx]);
        Assert.Equal(CounterA, state[Gpr.Rbx]);
        Assert.Equal(a.Stack.End, state.Rsp);   // the call returned on a's own stack
        Assert.True(state.InterruptsEnabled);
        Assert.Equal(1, a.Preemptions);
        Assert.Equal(1, b.Preemptions);
        Assert.Equal(ulong.MaxValue, b.Registers[(int)Gpr.Rax]);   // b's registers were saved in turn
    }

    [Fact]
    public void A_plain_timer_returns_to_the_same_task()
    {
        var machine = TwoCounters(out var a, out var b);

        machine.Run(Cpu0(41, At(10, InterruptKind.Timer)));

        // a: 39 of its own steps (mov, then 19 incs), the timer's delivery and handler at 10 and 11.
        Assert.Same(a, machine.CurrentTask(0));
        Assert.Equal(19UL, MachineLayout.Read64(machine.Memory, CounterA));
        Assert.Equal(0UL, MachineLayout.Read64(machine.Memory, CounterB));
        Assert.Equal(0, a.Preemptions);
        Assert.Equal(0, b.Preemptions);
        Assert.Equal(a.Stack.End, machine.Cpus[0].State.Rsp);
        Assert.Contains(machine.Trace, l => l.Trim() == "10 cpu0 raise Timer");
        Assert.Contains(machine.Trace, l => l.Trim().StartsWith("10 cpu0 event delivered at ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_timer_waits_while_interrupts_are_off()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 1 });
        Counter(machine, EntryA, CounterA, cli: true);
        machine.AddTask(0, "a", EntryA);

        machine.Run(Cpu0(20, At(5, InterruptKind.Timer)));

        Assert.True(machine.Cpus[0].IsPending(Machine.TimerVector));
        Assert.Equal(9UL, MachineLayout.Read64(machine.Memory, CounterA));   // cli, mov, then 9 incs in 18 steps
    }

    [Fact]
    public void An_nmi_from_the_schedule_is_delivered_even_with_interrupts_off_and_returns()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 1 });
        Counter(machine, EntryA, CounterA, cli: true);
        var a = machine.AddTask(0, "a", EntryA);
        var state = machine.Cpus[0].State;

        machine.Run(Cpu0(6, At(5, InterruptKind.Nmi)));   // cli, mov, inc, jmp, inc; then the NMI

        Assert.Equal(MachineLayout.HandlerOf(machine, Vectors.Nmi), state.Rip);
        Assert.True(state.NmiBlocked);
        ulong back = MachineLayout.Read64(machine.Memory, state.Rsp);

        machine.Run(Cpu0(1));   // the handler returns

        Assert.Equal(back, state.Rip);
        Assert.False(state.NmiBlocked);
        Assert.False(state.InterruptsEnabled);
        Assert.Equal(a.Stack.End, state.Rsp);
        Assert.Equal(2UL, MachineLayout.Read64(machine.Memory, CounterA));
        machine.Run(Cpu0(2));   // jmp, inc: the task carries on
        Assert.Equal(3UL, MachineLayout.Read64(machine.Memory, CounterA));
    }

    [Fact]
    public void A_preempting_timer_with_one_task_just_returns()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 1, RecordTrace = true });
        Counter(machine, EntryA, CounterA);
        var a = machine.AddTask(0, "a", EntryA);

        machine.Run(Cpu0(21, At(5, InterruptKind.PreemptingTimer)));

        Assert.Same(a, machine.CurrentTask(0));
        Assert.Equal(0, a.Preemptions);
        Assert.Equal(9UL, MachineLayout.Read64(machine.Memory, CounterA));   // 19 own steps: mov, then 9 incs
        Assert.Equal(a.Stack.End, machine.Cpus[0].State.Rsp);
        Assert.DoesNotContain(machine.Trace, l => l.Contains("preempt: switch", StringComparison.Ordinal));
        Assert.Contains(machine.Trace, l => l.Trim() == $"6 cpu0 0x{MachineLayout.HandlerOf(machine, Machine.PreemptVector):x} <host preempting timer>");   // the handler did run
    }

    [Fact]
    public void Tasks_on_different_cpus_run_side_by_side()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 2 });
        Counter(machine, EntryA, CounterA);
        Counter(machine, EntryB, CounterB);
        var a = machine.AddTask(0, "a", EntryA);
        var b = machine.AddTask(1, "b", EntryB);

        machine.Run(Schedule.RoundRobin(2, 11));

        Assert.Same(a, machine.CurrentTask(0));
        Assert.Same(b, machine.CurrentTask(1));
        Assert.Equal(5UL, MachineLayout.Read64(machine.Memory, CounterA));
        Assert.Equal(5UL, MachineLayout.Read64(machine.Memory, CounterB));
    }
}
