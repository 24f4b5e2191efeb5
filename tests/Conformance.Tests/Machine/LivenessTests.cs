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

        var result = machine.RunFair(1000);

        // Step 0: cpu0 jmp; step 1: the writer sends the IPI and waits. Before step 2 the state is
        // recorded; steps 2 (jmp) and 3 (wait) bring it back: a cycle of 2 from step 2.
        Assert.Equal(LivenessVerdict.Livelock, result.Verdict);
        Assert.Equal(2, result.CycleStart);
        Assert.Equal(2, result.CycleLength);
        Assert.Equal(4, result.Steps);
        var line = Assert.Single(result.Cycle);
        Assert.Equal("2 cpu0 0x400000 jmp short 0000000000400000h", line.Trim());
        Assert.StartsWith("livelock: the state at step 4 repeats step 2 (a cycle of 2 steps)", result.ToString());
        Assert.Contains(line, result.ToString());
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

        Assert.Equal(LivenessVerdict.BudgetExhausted, result.Verdict);
        Assert.Equal(1000, result.Steps);
        Assert.Equal(1000, machine.Steps);
        Assert.Equal(250UL, MachineLayout.Read64(machine.Memory, MachineLayout.Data));   // 500 reader steps: mov, then 250 incs
        Assert.True(machine.Cpus[0].IsPending(Machine.SyncIpiVector));
        Assert.Equal("no progress: the writer did not finish within 1000 steps", result.ToString());
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
