using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// <see cref="WriterStep.SyncCore"/>: <c>on_each_cpu(do_sync_core, NULL, 1)</c>. The writer
/// serializes itself, sends the IPI to every other CPU and waits; each CPU acknowledges by taking
/// the IPI (a delivery step) and running its handler (a step that serializes and returns).
/// </summary>
public class SyncCoreTests
{
    /// <summary>cpu0 is the writer; cpu1 and cpu2 spin on <c>jmp $</c> (with IF as given).</summary>
    private static Machine Build(IEnumerable<WriterStep> steps, bool interruptsOn = true, bool trace = false)
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 3, RecordTrace = trace });
        MachineLayout.Spin(machine.Memory, MachineLayout.Text);
        for (int c = 1; c <= 2; c++)
        {
            machine.AddTask(c, $"reader{c}", MachineLayout.Text);
            if (!interruptsOn) machine.Cpus[c].State.Flags &= ~RFlags.IF;
        }
        machine.SetWriter(0, steps);
        return machine;
    }

    [Fact]
    public void Sync_sends_the_ipi_to_every_other_cpu_and_serializes_the_writer()
    {
        var machine = Build([new WriterStep.SyncCore()]);

        Assert.Equal(MachineStepKind.Writer, machine.Step(0));

        Assert.Equal(machine.Memory.Now, machine.Cpus[0].State.LastSerializingTime);
        Assert.False(machine.Cpus[0].IsPending(Machine.SyncIpiVector));
        Assert.True(machine.Cpus[1].IsPending(Machine.SyncIpiVector));
        Assert.True(machine.Cpus[2].IsPending(Machine.SyncIpiVector));
        Assert.Equal("waiting for sync acknowledgements", machine.WriterStatus(0));
    }

    [Fact]
    public void Each_cpu_acknowledges_in_two_steps_and_the_writer_waits_for_all()
    {
        var machine = Build([new WriterStep.SyncCore()]);
        var reader1 = machine.Cpus[1].State;
        ulong handler = MachineLayout.HandlerOf(machine, Machine.SyncIpiVector);
        machine.Step(0);
        long before = reader1.LastSerializingTime;
        Assert.Equal(MachineStepKind.Waiting, machine.Step(0));

        Assert.Equal(MachineStepKind.Delivered, machine.Step(1));
        Assert.Equal(handler, reader1.Rip);
        long delivered = machine.Memory.Now;
        Assert.Equal(delivered, reader1.LastSerializingTime);   // delivery serializes too
        Assert.Equal(MachineStepKind.Waiting, machine.Step(0));  // delivered is not acknowledged
        Assert.Equal(MachineStepKind.Instruction, machine.Step(1));
        long handled = machine.Memory.Now;
        Assert.True(handled > delivered && delivered > before);
        Assert.Equal(handled, reader1.LastSerializingTime);      // the handler's time
        Assert.Equal(MachineLayout.Text, reader1.Rip);           // back in its loop
        Assert.Equal(machine.Tasks[0].Stack.End, reader1.Rsp);

        Assert.Equal(MachineStepKind.Waiting, machine.Step(0));  // cpu2 has not acknowledged
        Assert.Equal("waiting for sync acknowledgements", machine.WriterStatus(0));
        Assert.Equal(MachineStepKind.Delivered, machine.Step(2));
        Assert.Equal(MachineStepKind.Instruction, machine.Step(2));
        Assert.Equal(machine.Memory.Now, machine.Cpus[2].State.LastSerializingTime);

        Assert.Equal(MachineStepKind.Writer, machine.Step(0));   // every CPU acknowledged: the sync completes
        Assert.False(machine.Cpus[1].HasPendingInterrupts);
        Assert.False(machine.Cpus[2].HasPendingInterrupts);
    }

    [Fact]
    public void The_writer_is_done_at_its_first_step_after_the_last()
    {
        // Steps are drawn one per writer step (a patcher's next step may depend on what it reads),
        // so the writer learns it has none left at the step after its last.
        var machine = Build([new WriterStep.SyncCore()]);
        Assert.Equal("unfinished", machine.WriterStatus(0));
        Assert.Equal("none", machine.WriterStatus(1));
        machine.Step(0);
        machine.Run(new Schedule([new ScheduleRun(1, 2), new ScheduleRun(2, 2)], [], []));
        Assert.Equal(MachineStepKind.Writer, machine.Step(0));
        Assert.Equal("unfinished", machine.WriterStatus(0));
        Assert.False(machine.WritersDone);

        Assert.Equal(MachineStepKind.Idle, machine.Step(0));
        Assert.Equal("done", machine.WriterStatus(0));
        Assert.True(machine.WritersDone);
        Assert.Equal(MachineStepKind.Idle, machine.Step(0));
    }

    [Fact]
    public void A_reader_with_interrupts_off_never_acknowledges_and_the_writer_waits_forever()
    {
        var machine = Build([new WriterStep.SyncCore(), new WriterStep.Store(MachineLayout.Text + 0x100, [0x90])], interruptsOn: false);
        machine.Step(0);
        for (int round = 0; round < 50; round++)
        {
            Assert.Equal(MachineStepKind.Instruction, machine.Step(1));
            Assert.Equal(MachineStepKind.Instruction, machine.Step(2));
            Assert.Equal(MachineStepKind.Waiting, machine.Step(0));
        }
        Assert.True(machine.Cpus[1].IsPending(Machine.SyncIpiVector));
        Assert.Equal("waiting for sync acknowledgements", machine.WriterStatus(0));
        Assert.Equal(0x00, machine.Memory.ByteAt(MachineLayout.Text + 0x100, machine.Memory.Now));   // the store after the sync never ran
    }

    [Fact]
    public void One_cpu_with_interrupts_off_is_enough_to_block_the_sync()
    {
        var machine = Build([new WriterStep.SyncCore()]);
        machine.Cpus[2].State.Flags &= ~RFlags.IF;
        machine.Run(new Schedule([new ScheduleRun(0, 1), .. Enumerable.Repeat(new[] { new ScheduleRun(1, 1), new ScheduleRun(2, 1), new ScheduleRun(0, 1) }, 20).SelectMany(r => r)], [], []));
        Assert.Equal("waiting for sync acknowledgements", machine.WriterStatus(0));
        Assert.False(machine.Cpus[1].IsPending(Machine.SyncIpiVector));   // cpu1 acknowledged
        Assert.True(machine.Cpus[2].IsPending(Machine.SyncIpiVector));
    }

    [Fact]
    public void Stores_and_syncs_run_in_order_one_per_step_with_a_trace()
    {
        const ulong at = MachineLayout.Text + 0x100;
        var machine = Build([new WriterStep.Store(at, [0xcc]), new WriterStep.SyncCore(), new WriterStep.Pause(), new WriterStep.Store(at, [0x90])], trace: true);

        machine.Run(Schedule.RoundRobin(3, 7));

        Assert.Equal("done", machine.WriterStatus(0));
        Assert.Equal(0x90, machine.Memory.ByteAt(at, machine.Memory.Now));
        var writer = machine.Trace.Where(l => l.Contains(" cpu0 writer:", StringComparison.Ordinal)).Select(l => l.Trim()).ToArray();
        Assert.Equal(5, writer.Length);
        Assert.Equal("0 cpu0 writer: store8 0x400100 <- cc (t=2)", writer[0]);   // the writer's step ticks, then the store
        Assert.Equal("3 cpu0 writer: sync_core: IPI sent to every other CPU", writer[1]);
        // Steps 4-8: both readers take the IPI and run the handler; the writer waits at step 6.
        Assert.Equal("9 cpu0 writer: sync_core complete (every CPU acknowledged)", writer[2]);
        Assert.Equal("12 cpu0 writer: pause", writer[3]);
        Assert.StartsWith("15 cpu0 writer: store8 0x400100 <- 90 (t=", writer[4]);
        Assert.Equal(2, machine.Trace.Count(l => l.Contains("sync_core: serialized, acknowledged", StringComparison.Ordinal)));
    }

    [Fact]
    public void Another_writer_cpu_acknowledges_at_once()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 3 });
        MachineLayout.Spin(machine.Memory, MachineLayout.Text);
        machine.AddTask(2, "reader", MachineLayout.Text);
        machine.SetWriter(0, [new WriterStep.SyncCore()]);
        machine.SetWriter(1, []);

        machine.Run(new Schedule([new ScheduleRun(0, 1), new ScheduleRun(2, 2), new ScheduleRun(0, 2)], [], []));

        Assert.Equal("done", machine.WriterStatus(0));
    }

    [Fact]
    public void A_cpu_with_nothing_to_run_is_idle_and_acknowledges_at_once()
    {
        var machine = MachineLayout.Create(new MachineOptions { Cpus = 3 });
        MachineLayout.Spin(machine.Memory, MachineLayout.Text);
        machine.AddTask(1, "reader", MachineLayout.Text);   // cpu2 has no task
        machine.SetWriter(0, [new WriterStep.SyncCore()]);

        Assert.Equal(MachineStepKind.Idle, machine.Step(2));
        Assert.Equal(MachineStepKind.Writer, machine.Step(0));
        Assert.Equal(MachineStepKind.Delivered, machine.Step(1));
        Assert.Equal(MachineStepKind.Instruction, machine.Step(1));   // the handler: serialize, acknowledge
        Assert.Equal(MachineStepKind.Writer, machine.Step(0));        // complete: cpu2 never needed a step
        Assert.Equal(MachineStepKind.Idle, machine.Step(0));
        Assert.True(machine.WritersDone);
    }
}
