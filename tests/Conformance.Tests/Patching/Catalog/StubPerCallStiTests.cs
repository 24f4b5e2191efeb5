using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class StubPerCallStiTests
{
    [Theory]
    [InlineData(false, "pass")]
    [InlineData(true, "fail (ReusedStub)")]
    public void It_is_expected_to_pass_only_while_NMIs_respect_the_sti_shadow(bool nmiMayEndStiShadow, string verdict)
    {
        Assert.Equal(typeof(StubPerCallSti), PatcherRegistry.Get("stub-per-call-sti").Type);
        foreach (string model in Expect.AllModels)
            Assert.Equal(verdict, Declared("stub-per-call-sti", model, nmiMayEndStiShadow));
    }

    [Fact]
    public void Steps_write_the_plain_and_the_sti_stub_sync_then_int3_tail_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StubPerCallSti(), w);
        ulong plain = rig.Stubs.Slot(StubPerCallSti.PlainSlot), sti = rig.Stubs.Slot(StubPerCallSti.StiSlot);
        string State() => $"plain {Forms.Hex(Read(rig, plain, 10))} sti {Forms.Hex(Read(rig, sti, 11))} site {Forms.Hex(rig.Bytes(w.Sites[0]))}";
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = StatesAfterEachWriterStep(rig, State);

        string push = "68 55 00 40 00";
        string plainJmp = Forms.Hex(Forms.Jmp(plain + 5, Workload.CallTarget(1))), stiJmp = Forms.Hex(Forms.Jmp(sti + 6, Workload.CallTarget(1)));
        string z5 = "00 00 00 00 00", z10 = $"{z5} {z5}", old = Forms.Hex(r.Old), @new = Forms.Hex(r.New);
        string[] expected =
        [
            $"plain {z10} sti {z10} 00 site {old}",
            $"plain {push} {z5} sti {z10} 00 site {old}",
            $"plain {push} {plainJmp} sti {z10} 00 site {old}",
            $"plain {push} {plainJmp} sti {push} {z5} 00 site {old}",
            $"plain {push} {plainJmp} sti {push} fb {z5} site {old}",
            $"plain {push} {plainJmp} sti {push} fb {stiJmp} site {old}",
            $"plain {push} {plainJmp} sti {push} fb {stiJmp} site cc {old[3..]}",
            $"plain {push} {plainJmp} sti {push} fb {stiJmp} site cc {@new[3..]}",
            $"plain {push} {plainJmp} sti {push} fb {stiJmp} site {@new}",
        ];
        Assert.Equal(expected, states);
        Assert.Equal("push 400055h", Forms.Decode(sti, Read(rig, sti, 5))!.Value.ToString());
        Assert.Equal("sti", Forms.Decode(sti + 5, Read(rig, sti + 5, 1))!.Value.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_handler_clears_IF_in_the_frame_and_picks_the_sti_stub_only_when_IF_was_set(bool interruptsOn)
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StubPerCallSti(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(w.Sites[0])[0] == 0xcc);

        // A #BP frame as the CPU would push it, on the reader task's stack.
        var cpu = rig.Machine.Cpus[Reader];
        ulong frame = rig.Machine.Tasks[0].Stack.End - 0x100;
        RFlags flags = RFlags.Reserved1 | RFlags.ZF | (interruptsOn ? RFlags.IF : 0);
        ulong[] words = [w.Sites[0].Address + 1, 0x10, (ulong)flags, frame + 0x80, 0x18];
        rig.Machine.Memory.Poke(frame, words.SelectMany(BitConverter.GetBytes).ToArray());
        var context = new BreakpointContext(cpu, frame, rig.Active);

        Assert.True(rig.Patcher.OnBreakpoint(context).Handled);
        ulong expectedStub = rig.Stubs.Slot(interruptsOn ? StubPerCallSti.StiSlot : StubPerCallSti.PlainSlot);
        Assert.Equal(expectedStub, Word(rig, frame));
        Assert.Equal((ulong)(RFlags.Reserved1 | RFlags.ZF), Word(rig, frame + 16));   // IF clear either way, the rest untouched
        Assert.Equal(frame + 0x80, Word(rig, frame + 24));                             // nothing pushed
    }

    [Fact]
    public void With_interrupts_off_a_trapped_cpu_runs_the_plain_stub_and_keeps_IF_clear()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StubPerCallSti(), w);
        var site = w.Sites[0];
        ulong plain = rig.Stubs.Slot(StubPerCallSti.PlainSlot);
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xcc);       // the reader takes the stubs' sync with IF=1
        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        rig.Machine.Cpus[Reader].State.Flags &= ~RFlags.IF;          // then reaches the site with interrupts off (a cli section)
        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);
        Assert.Equal(plain, Rip(rig));
        Assert.False(rig.Machine.Cpus[Reader].State.InterruptsEnabled);
        rig.Machine.Step(Reader);                                   // push
        rig.Machine.Step(Reader);                                   // jmp
        Assert.Equal(Workload.CallTarget(1), Rip(rig));
        Assert.Equal(site.Next, TopOfStack(rig));
        Assert.False(rig.Machine.Cpus[Reader].State.InterruptsEnabled);
    }

    [Fact]
    public void A_preemption_raised_inside_the_sti_stub_is_taken_only_in_the_callee()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = new PatchRig(new StubPerCallSti(), w, new PatchRigOptions { TasksPerCpu = 2, RecordTrace = true });
        var site = w.Sites[0];
        ulong sti = rig.Stubs.Slot(StubPerCallSti.StiSlot);
        var a = rig.Machine.Tasks[0];
        var cpu = rig.Machine.Cpus[Reader];
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == sti);
        Assert.False(cpu.State.InterruptsEnabled);                  // the frame's IF was cleared: iretq left it off

        rig.Machine.Raise(new ScheduledInterrupt(rig.Machine.Steps, Reader, InterruptKind.PreemptingTimer));
        Assert.Equal(MachineStepKind.Instruction, rig.Machine.Step(Reader));   // push (IF=0: held)
        Assert.Equal(MachineStepKind.Instruction, rig.Machine.Step(Reader));   // sti (IF=1, shadow)
        Assert.True(cpu.State.InterruptsEnabled);
        Assert.Equal(InterruptShadow.Sti, cpu.State.Shadow);
        Assert.Equal(MachineStepKind.Instruction, rig.Machine.Step(Reader));   // jmp (the shadow holds the timer off)
        Assert.Equal(Workload.CallTarget(1), Rip(rig));
        Assert.Equal(MachineStepKind.Delivered, rig.Machine.Step(Reader));     // now, in the callee
        rig.Machine.Step(Reader);
        Assert.NotSame(a, rig.Machine.CurrentTask(Reader));
        Assert.Equal(Workload.CallTarget(1), FrameRip(rig, a));
    }

    [Fact]
    public void Held_off_by_the_shadow_an_NMI_does_not_let_the_preemption_in_before_the_jmp()
    {
        var (rig, w, a) = NmiAndPreemptionAfterSti(nmiMayEndStiShadow: false);
        Assert.Equal(Workload.CallTarget(1), FrameRip(rig, a));    // task A was switched out in the callee, not the stub
        ulong interruptedRsp = Word(rig, a.Registers[(int)Gpr.Rsp] + 24);
        Assert.Equal(w.Sites[0].Next, Word(rig, interruptedRsp));   // with its own return address on top of its stack
    }

    [Fact]
    public void An_NMI_that_ends_the_shadow_lets_the_preemption_in_and_the_task_resumes_in_the_rewritten_stub()
    {
        var (rig, w, a) = NmiAndPreemptionAfterSti(nmiMayEndStiShadow: true);
        ulong sti = rig.Stubs.Slot(StubPerCallSti.StiSlot);
        Assert.Equal(sti + 6, FrameRip(rig, a));                    // suspended at the stub's jmp

        FinishWriter(rig);
        rig.Patch([w.Request(1, 0, 2)]);
        FinishWriter(rig);
        Assert.Equal(Forms.Hex(StubCode.PushJmp(sti, w.Sites[1].Next, Workload.CallTarget(2), sti: true)), Forms.Hex(Read(rig, sti, 11)));
        Preempt(rig);
        Assert.Same(a, rig.Machine.CurrentTask(Reader));
        Assert.Equal(sti + 6, Rip(rig));
        rig.Machine.Step(Reader);
        Assert.Equal(Workload.CallTarget(2), Rip(rig));             // s0 only ever called targets 0 and 1
        Assert.Equal(w.Sites[0].Next, TopOfStack(rig));
    }

    /// <summary>
    /// Two sites, two tasks on cpu0. Patch 1 (s0: target 0 -> 1): task A traps, enters the sti stub,
    /// runs push and sti; then an NMI and a preempting timer arrive together. Returns once task A
    /// has been switched out.
    /// </summary>
    private static (PatchRig Rig, Workload W, MachineTask A) NmiAndPreemptionAfterSti(bool nmiMayEndStiShadow)
    {
        var w = Workload.Build([
            new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0),
            new SiteSpec("s1", Workload.SiteArea + 0x40, SiteKind.Call, 0),
        ]);
        var rig = new PatchRig(new StubPerCallSti(), w,
            new PatchRigOptions { TasksPerCpu = 2, NmiMayEndStiShadow = nmiMayEndStiShadow, RecordTrace = true });
        ulong sti = rig.Stubs.Slot(StubPerCallSti.StiSlot);
        var a = rig.Machine.Tasks[0];
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(w.Sites[0])[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == sti);
        rig.Machine.Step(Reader);                                   // push
        rig.Machine.Step(Reader);                                   // sti
        Assert.Equal(sti + 6, Rip(rig));
        rig.Machine.Raise(new ScheduledInterrupt(rig.Machine.Steps, Reader, InterruptKind.Nmi));
        rig.Machine.Raise(new ScheduledInterrupt(rig.Machine.Steps, Reader, InterruptKind.PreemptingTimer));

        var kind = rig.Machine.Step(Reader);
        if (nmiMayEndStiShadow)
        {
            Assert.Equal(MachineStepKind.Delivered, kind);           // the NMI, inside the shadow
            rig.Machine.Step(Reader);                                // its handler's iretq ends the shadow
            Assert.Equal(sti + 6, Rip(rig));
            Assert.Equal(MachineStepKind.Delivered, rig.Machine.Step(Reader));   // the timer, before the jmp
        }
        else
        {
            Assert.Equal(MachineStepKind.Instruction, kind);         // the jmp: the NMI waits for the shadow
            Assert.Equal(Workload.CallTarget(1), Rip(rig));
        }
        StepReaderUntil(rig, () => rig.Machine.CurrentTask(Reader) != a, 10);
        return (rig, w, a);
    }

    private static ulong FrameRip(PatchRig rig, MachineTask task) => Word(rig, task.Registers[(int)Gpr.Rsp]);
}
