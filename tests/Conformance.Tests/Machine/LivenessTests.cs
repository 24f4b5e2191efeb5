using Conformance.Emulation;
using Conformance.Machine;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// <see cref="Machine.RunFair"/>: round-robin until every writer is done. A machine state seen twice
/// while a writer waits is a livelock (the schedule is periodic, so it would loop forever).
/// </summary>
public class LivenessTests
{
    private const ulong Lock = MachineLayout.Data;

    /// <summary>cpu0 spins on <c>jmp $</c>; cpu1 is the writer.</summary>
    private static Machine SpinAndWriter(bool interruptsOn, IEnumerable<WriterStep> steps, bool trace = true)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 2, RecordTrace = trace });
        MachineLayout.Spin(machine.Memory, MachineLayout.Text);
        machine.AddTask(0, "spin", MachineLayout.Text);
        if (!interruptsOn) machine.Cpus[0].State.Flags &= ~RFlags.IF;
        machine.SetWriter(1, steps);
        return machine;
    }

    [Fact]
    public void A_reader_spinning_with_interrupts_off_livelocks_the_sync()
    {
        var machine = SpinAndWriter(interruptsOn: false, [new WriterStep.SyncCore()]);

        var result = machine.RunFair(1000, stopAtCycle: true);

        // Step 0: cpu0 jmp; step 1: the writer sends the IPI and waits. Before step 2 the state is
        // recorded; steps 2 (jmp) and 3 (wait) bring it back: a cycle of 2 from step 2.
        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.Equal(2, result.CycleStart);
        Assert.Equal(2, result.CycleLength);
        Assert.Equal(4, result.Steps);
        Assert.False(result.Confirmed);
        var line = Assert.Single(result.Cycle);
        Assert.Equal("2 cpu0 0x400000 jmp short 0000000000400000h", line.Trim());
        Assert.StartsWith("livelock: the state after step 3 is the one before step 2 (a cycle of 2 steps); ", result.ToString());
        Assert.Contains(line, result.ToString());
    }

    [Fact]
    public void Without_stopping_at_the_cycle_the_livelock_is_reported_once_the_progress_window_has_passed()
    {
        var machine = SpinAndWriter(interruptsOn: false, [new WriterStep.SyncCore()]);

        var result = machine.RunFair(1000);

        // The sync (step 1) is the last progress; from step 2 on, 1,000 steps without any.
        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.True(result.Confirmed);
        Assert.Equal(1002, result.Steps);
        Assert.Equal(2, result.CycleStart);
        Assert.Equal(2, result.CycleLength);
        Assert.Single(result.Cycle);
        Assert.StartsWith("livelock: the state after step 3 is the one before step 2 (a cycle of 2 steps), and no writer made progress in 1000 steps; ", result.ToString());
    }

    [Fact]
    public void Without_a_trace_the_livelock_is_found_and_the_cycle_is_empty()
    {
        var machine = SpinAndWriter(interruptsOn: false, [new WriterStep.SyncCore()], trace: false);
        var result = machine.RunFair(1000);
        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.True(result.CycleLength > 0);
        Assert.Empty(result.Cycle);
    }

    [Fact]
    public void The_same_reader_with_interrupts_on_lets_the_writer_complete()
    {
        var machine = SpinAndWriter(interruptsOn: true, [new WriterStep.SyncCore()]);

        var result = machine.RunFair(1000);

        // 0 jmp, 1 sync, 2 delivery, 3 wait, 4 handler (ack), 5 complete, 6 jmp, 7 no steps left: done.
        Assert.Equal(LivenessVerdict.Completed, result.Verdict);
        Assert.Equal(8, result.Steps);
        Assert.Equal("done", machine.WriterStatus(1));
        Assert.Equal("completed in 8 steps", result.ToString());
    }

    [Fact]
    public void Repeated_syncs_that_each_complete_are_not_a_livelock()
    {
        // The waits of the second and third syncs find the same CPU, stack and data state: only
        // where the writer stands tells them apart.
        var machine = SpinAndWriter(interruptsOn: true, [new WriterStep.SyncCore(), new WriterStep.SyncCore(), new WriterStep.SyncCore()]);

        var result = machine.RunFair(1000);

        Assert.Equal(LivenessVerdict.Completed, result.Verdict);
        Assert.Equal(3, machine.Trace.Count(l => l.Contains("sync_core complete", StringComparison.Ordinal)));
    }

    [Fact]
    public void Syncs_around_stores_to_text_are_not_a_livelock()
    {
        // Text is not instruction-writable, so it is not in the fingerprint: the writer's position stands for it.
        const ulong at = MachineLayout.Text + 0x100;
        var machine = SpinAndWriter(interruptsOn: true,
        [
            new WriterStep.SyncCore(), new WriterStep.Store(at, [0xcc]), new WriterStep.SyncCore(),
            new WriterStep.Store(at, [0x90]), new WriterStep.SyncCore(), new WriterStep.Store(at, [0xcc]), new WriterStep.SyncCore(),
        ]);
        Assert.Equal(LivenessVerdict.Completed, machine.RunFair(1000).Verdict);
    }

    [Fact]
    public void A_reader_counting_with_interrupts_off_exhausts_the_budget()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 2 });
        MachineLayout.Assemble(machine.Memory, MachineLayout.Text, a =>
        {
            var loop = a.CreateLabel();
            a.mov(rbx, MachineLayout.Data);
            a.Label(ref loop);
            a.inc(__qword_ptr[rbx]);
            a.jmp(loop);
        });
        machine.AddTask(0, "count", MachineLayout.Text);
        machine.Cpus[0].State.Flags &= ~RFlags.IF;
        machine.SetWriter(1, [new WriterStep.SyncCore()]);

        var result = machine.RunFair(1000);

        // The sync at step 1 is the writer's last progress; 1,000 steps later the window is over.
        Assert.Equal(LivenessVerdict.BudgetExhausted, result.Verdict);
        Assert.Equal(1002, result.Steps);
        Assert.Equal(1002, machine.Steps);
        Assert.Equal(1000, result.LongestStall);
        Assert.Equal(250UL, MachineLayout.Read64(machine.Memory, MachineLayout.Data));   // 501 reader steps: mov, then 250 incs, then a jmp
        Assert.True(machine.Cpus[0].IsPending(Machine.SyncIpiVector));
        Assert.Equal("no progress: no writer took a step or received an acknowledgement in 1000 steps (after 1002 steps of the fair run)", result.ToString());
    }

    [Fact]
    public void A_writer_that_keeps_making_progress_is_not_stopped_by_the_window()
    {
        // 40 syncs, each acknowledged at once by a reader with IRQs on: far more steps than the window, none of them a stall.
        var machine = SpinAndWriter(interruptsOn: true, Enumerable.Repeat<WriterStep>(new WriterStep.SyncCore(), 40).ToArray(), trace: false);
        var result = machine.RunFair(10);
        Assert.Equal(LivenessVerdict.Completed, result.Verdict);
        Assert.True(result.Steps > 10 * 10, $"the run took {result.Steps} steps");
        Assert.True(result.LongestStall < 10);
    }

    [Fact]
    public void A_writer_without_end_is_stopped_at_the_limit()
    {
        static IEnumerable<WriterStep> Forever()
        {
            while (true) yield return new WriterStep.Store(MachineLayout.Text + 0x100, [0x90]);
        }
        var machine = SpinAndWriter(interruptsOn: true, Forever(), trace: false);
        var result = machine.RunFair(100, limit: 5000);
        Assert.Equal(LivenessVerdict.BudgetExhausted, result.Verdict);
        Assert.True(result.HitLimit);
        Assert.Equal(5000, result.Steps);
        Assert.Equal("no end: the writer kept taking steps but did not finish within 5000 steps", result.ToString());
    }

    // ---- a jmp-to-self spin that reads stale bytes: pending fetch choices decide the future -------

    /// <summary>
    /// cpu0 runs with IRQs off at the text's start: <c>eb fe</c> (a spin), then <c>sti</c> and a
    /// spin of its own. cpu1 (the writer) stores <c>90 90</c> over the spin, then syncs: cpu0 can
    /// acknowledge only once it fetched the nops and reached the <c>sti</c>. <paramref name="stale"/>
    /// fetch choices make its next fetches read the old <c>eb fe</c> (still inside the staleness
    /// window, since cpu0 does not serialize); after them it reads the newest bytes.
    /// </summary>
    private static Machine StaleSpin(int stale, bool release = true)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 2, RecordTrace = true, WatchedCode = [(MachineLayout.Text, MachineLayout.Text + 2)] });
        MachineLayout.Spin(machine.Memory, MachineLayout.Text);
        MachineLayout.Assemble(machine.Memory, MachineLayout.Text + 2, a =>
        {
            var self = a.CreateLabel();
            a.sti();
            a.Label(ref self);
            a.jmp(self);
        });
        machine.AddTask(0, "spin", MachineLayout.Text);
        machine.Cpus[0].State.Flags &= ~RFlags.IF;
        machine.SetWriter(1, release
            ? [new WriterStep.Store(MachineLayout.Text, [0x90, 0x90]), new WriterStep.SyncCore()]
            : [new WriterStep.SyncCore()]);
        // cpu0 spins twice, the writer stores; every later fetch of the spin with two versions takes the next choice.
        machine.Run(new Schedule([new ScheduleRun(0, 2), new ScheduleRun(1, 1)], [], Enumerable.Repeat(1, stale).ToArray()));
        return machine;
    }

    [Fact]
    public void A_spin_that_reads_stale_bytes_while_fetch_choices_remain_is_not_a_livelock()
    {
        // Every stale fetch leaves cpu0 exactly where it was: only the choices still to come tell the
        // rounds apart. Without them in the fingerprint this was a "livelock" (even stopping at the cycle).
        var machine = StaleSpin(stale: 20);

        var result = machine.RunFair(1000, stopAtCycle: true);

        Assert.Equal(LivenessVerdict.Completed, result.Verdict);
        Assert.Equal(20, machine.FetchChoicesTaken.Count(c => c == 1));   // it did read the stale spin 20 times
        Assert.Equal("done", machine.WriterStatus(1));
    }

    [Fact]
    public void A_spin_that_never_ends_is_a_livelock_with_its_cycle()
    {
        var machine = StaleSpin(stale: 20, release: false);

        var result = machine.RunFair(1000, stopAtCycle: true);

        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.Contains(result.Cycle, l => l.Contains("cpu0 0x400000 jmp short 0000000000400000h", StringComparison.Ordinal));
        Assert.Equal("waiting for sync acknowledgements", machine.WriterStatus(1));
    }

    [Fact]
    public void A_fair_run_continues_from_where_the_machine_stands()
    {
        var machine = SpinAndWriter(interruptsOn: true, [new WriterStep.SyncCore()]);
        machine.Run(new Schedule([new ScheduleRun(0, 3)], [], []));
        var result = machine.RunFair(1000);
        Assert.Equal(LivenessVerdict.Completed, result.Verdict);
        Assert.Equal(machine.Steps - 3, result.Steps);
    }

    // ---- the 3-CPU case of the design: a lock, IRQs off, and a #BP handler that spins -------------

    /// <summary>
    /// cpu0 (A) takes no interrupts and spins until the lock in data is free; cpu1 (B) holds the
    /// lock, calls through a site, then releases it; cpu2 runs text_poke_bp's steps on the site,
    /// turning the call into a 5-byte nop. B reaches the site after the int3 is stored, and its #BP
    /// handler either emulates the nop (B goes on, frees the lock, A enables interrupts and takes the
    /// sync IPI) or returns to the int3 to retry until the patch is done, which needs A's
    /// acknowledgement, which needs the lock, which B holds: a livelock.
    /// </summary>
    private static Machine LockHolderAtTheSite(bool spinInBreakpoint, out ulong site)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 3, RecordTrace = true });
        var memory = machine.Memory;
        memory.Load(Lock, BitConverter.GetBytes(1UL));
        const ulong a = MachineLayout.Text, b = MachineLayout.Text + 0x100, func = MachineLayout.Text + 0x200;
        MachineLayout.Assemble(memory, a, x =>
        {
            var spin = x.CreateLabel();
            var done = x.CreateLabel();
            x.cli();
            x.mov(rbx, Lock);
            x.Label(ref spin);
            x.cmp(__qword_ptr[rbx], 0);
            x.jne(spin);
            x.sti();
            x.Label(ref done);
            x.jmp(done);
        });
        var holder = new Iced.Intel.Assembler(64);
        var callSite = holder.CreateLabel();
        var holderDone = holder.CreateLabel();
        holder.mov(rbx, Lock);
        holder.Label(ref callSite);
        holder.call(func);
        holder.mov(__qword_ptr[rbx], 0);
        holder.Label(ref holderDone);
        holder.jmp(holderDone);
        site = MachineLayout.Place(memory, holder, b).GetLabelRIP(callSite);
        ulong siteAt = site;
        Assert.Equal(0xe8, memory.ByteAt(site, 0));
        MachineLayout.Assemble(memory, func, x => x.ret());

        const ulong handler = MachineLayout.Stubs + 0x800;
        memory.Decoded.BindHost(handler, new HostLambda(spinInBreakpoint ? "bp-spin" : "bp-emulate-nop5", cpu =>
        {
            ulong frame = cpu.State.Rsp;
            ulong rip = MachineLayout.Read64(cpu.Memory, frame);
            if (rip != siteAt + 1) return HostOutcome.Declined($"int3 at 0x{rip - 1:x} is not the site");
            cpu.Memory.Poke(frame, BitConverter.GetBytes(spinInBreakpoint ? siteAt : siteAt + 5));
            return HostOutcome.InterruptReturn;
        }));
        machine.Interrupts.Set(Vectors.Breakpoint, handler);

        machine.AddTask(0, "A", a);
        machine.AddTask(1, "B", b);
        machine.SetWriter(2,
        [
            new WriterStep.Store(site, [0xcc]), new WriterStep.SyncCore(),
            new WriterStep.Store(site + 1, [0x1f, 0x44, 0x00, 0x00]), new WriterStep.SyncCore(),
            new WriterStep.Store(site, [0x0f]), new WriterStep.SyncCore(),
        ]);
        return machine;
    }

    [Fact]
    public void A_lock_spinner_with_irqs_off_and_a_lock_holder_spinning_in_bp_livelock()
    {
        var machine = LockHolderAtTheSite(spinInBreakpoint: true, out ulong site);

        var result = machine.RunFair(3000);

        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.True(result.CycleLength > 0);
        Assert.Equal(0, result.CycleLength % 3);   // whole rounds of the three CPUs
        Assert.Contains(result.Cycle, l => l.Contains(" cpu0 ", StringComparison.Ordinal) && l.Contains("cmp", StringComparison.Ordinal));
        Assert.Contains(result.Cycle, l => l.Contains($" cpu1 0x{site:x} int 3", StringComparison.Ordinal));
        Assert.Equal("waiting for sync acknowledgements", machine.WriterStatus(2));
        Assert.True(machine.Cpus[0].IsPending(Machine.SyncIpiVector));
        Assert.False(machine.Cpus[1].IsPending(Machine.SyncIpiVector));   // B acknowledged between its traps
        Assert.Equal(1UL, MachineLayout.Read64(machine.Memory, Lock));
        Assert.Equal(0xcc, machine.Memory.ByteAt(site, machine.Memory.Now));
    }

    [Fact]
    public void The_same_machine_completes_when_the_bp_handler_emulates_the_new_instruction()
    {
        var machine = LockHolderAtTheSite(spinInBreakpoint: false, out ulong site);

        var result = machine.RunFair(3000);

        Assert.Equal(LivenessVerdict.Completed, result.Verdict);
        Assert.Equal(0UL, MachineLayout.Read64(machine.Memory, Lock));
        var bytes = new byte[5];
        machine.Memory.ReadCurrent(site, bytes);
        Assert.Equal(new byte[] { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, bytes);
        Assert.True(machine.Cpus[0].State.InterruptsEnabled);
    }
}
