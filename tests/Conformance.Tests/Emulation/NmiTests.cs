using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>Non-maskable interrupts: vector 2, regardless of IF, blocked from delivery until the next <c>iretq</c>.</summary>
public class NmiTests
{
    private const ulong NmiHandler = Rig.Stubs;
    private const ulong TimerHandler = Rig.Stubs + 0x100;
    private const byte Timer = 0x20;
    private const ulong Counter = Rig.Data;

    /// <summary>
    /// Text is eight nops then <c>hlt</c>; the NMI handler counts entries, runs three nops and
    /// returns. IF is clear throughout.
    /// </summary>
    private static Rig NmiRig()
    {
        var rig = new Rig().Assemble(a =>
        {
            for (int i = 0; i < 8; i++) a.nop();
            a.hlt();
        });
        rig.Assemble(a =>
        {
            a.inc(__qword_ptr[Counter]);
            a.nop();
            a.nop();
            a.nop();
            a.iretq();
        }, NmiHandler);
        rig.Interrupts.Set(Vectors.Nmi, NmiHandler);
        return rig;
    }

    private static bool InHandler(Rig rig) => rig.State.Rip >= NmiHandler && rig.State.Rip < NmiHandler + 0x100;

    [Fact]
    public void An_nmi_is_delivered_through_vector_2_with_IF_clear()
    {
        var rig = NmiRig();
        Assert.False(rig.State.InterruptsEnabled);
        rig.Cpu.Step();
        rig.Cpu.RaiseNmi();
        Assert.True(rig.Cpu.NmiPending);

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());

        Assert.Equal(NmiHandler, rig.State.Rip);
        Assert.False(rig.Cpu.NmiPending);
        Assert.True(rig.State.NmiBlocked);
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);
        Assert.Equal(Rig.StackTop - 40, rig.State.Rsp);
        Assert.Equal(rig.Memory.Now, rig.State.LastSerializingTime);
    }

    [Fact]
    public void Nmis_stay_blocked_until_iretq()
    {
        var rig = NmiRig();
        rig.Cpu.RaiseNmi();
        rig.Cpu.Step();   // delivered
        Assert.True(rig.State.NmiBlocked);

        for (int i = 0; i < 4; i++)   // inc, nop, nop, nop
        {
            Assert.Equal(StepResult.Retired, rig.Cpu.Step());
            Assert.True(rig.State.NmiBlocked);
        }
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // iretq
        Assert.False(rig.State.NmiBlocked);
        Assert.Equal(Rig.Text, rig.State.Rip);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void A_second_nmi_raised_in_the_handler_waits_and_is_delivered_right_after_iretq()
    {
        var rig = NmiRig();
        rig.Cpu.Step();
        rig.Cpu.RaiseNmi();
        rig.Cpu.Step();   // delivered at Text + 1
        ulong frame = rig.State.Rsp;
        rig.Cpu.Step();   // inc
        rig.Cpu.RaiseNmi();

        // Not nested: the handler runs to its iretq on the same frame.
        while (InHandler(rig))
        {
            Assert.NotEqual(StepResult.Delivered, rig.Cpu.Step());
            if (InHandler(rig)) Assert.Equal(frame, rig.State.Rsp);
        }
        Assert.Equal(Rig.Text + 1, rig.State.Rip);
        Assert.True(rig.Cpu.NmiPending);

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());   // before the next text instruction
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);
        Assert.Equal(frame, rig.State.Rsp);

        Assert.Equal(StepResult.Halted, rig.Run(100));
        Assert.Equal(2UL, rig.Read64(Counter));
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void Nmis_do_not_queue_two_raised_while_pending_are_one()
    {
        var rig = NmiRig();
        rig.Cpu.RaiseNmi();
        rig.Cpu.RaiseNmi();
        Assert.Equal(StepResult.Halted, rig.Run(100));
        Assert.Equal(1UL, rig.Read64(Counter));
    }

    [Fact]
    public void An_nmi_wakes_hlt_even_with_IF_clear()
    {
        var rig = new Rig().Load([0xf4, 0x90, 0xf4]);
        rig.Assemble(a => a.iretq(), NmiHandler);
        rig.Interrupts.Set(Vectors.Nmi, NmiHandler);
        Assert.Equal(StepResult.Halted, rig.Cpu.Step());
        Assert.Equal(StepResult.Halted, rig.Cpu.Step());

        rig.Cpu.RaiseNmi();
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // iretq
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // nop
        Assert.Equal(StepResult.Halted, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 3, rig.State.Rip);
    }

    [Fact]
    public void An_nmi_is_taken_before_a_pending_maskable_interrupt()
    {
        var rig = NmiRig();
        rig.Assemble(a => a.iretq(), TimerHandler);
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.State.Flags |= RFlags.IF;
        rig.Cpu.RaiseInterrupt(Timer);
        rig.Cpu.RaiseNmi();

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(NmiHandler, rig.State.Rip);
        // The NMI gate is an interrupt gate: the timer waits for the handler's iretq.
        while (InHandler(rig)) Assert.NotEqual(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(TimerHandler, rig.State.Rip);
    }

    [Fact]
    public void An_nmi_nests_inside_a_maskable_interrupt_handler()
    {
        var rig = NmiRig();
        rig.Assemble(a =>
        {
            a.nop();
            a.nop();
            a.iretq();
        }, TimerHandler);
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.State.Flags |= RFlags.IF;
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        ulong timerFrame = rig.State.Rsp;
        rig.Cpu.Step();   // nop in the timer handler, IF=0
        rig.Cpu.RaiseNmi();
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(NmiHandler, rig.State.Rip);
        Assert.Equal((timerFrame & ~0xFUL) - 40, rig.State.Rsp);
        Assert.Equal(TimerHandler + 1, rig.Frame(rig.State.Rsp).Rip);

        Assert.Equal(StepResult.Halted, rig.Run(100));
        Assert.Equal(1UL, rig.Read64(Counter));
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
        Assert.True(rig.State.InterruptsEnabled);
    }

    [Fact]
    public void An_nmi_without_a_gate_faults_NoHandler()
    {
        var rig = new Rig().Load([0x90]);
        rig.Cpu.RaiseNmi();
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        Assert.Equal(FaultKind.NoHandler, rig.State.Fault!.Kind);
        Assert.Contains("NMI", rig.State.Fault.Message);
        Assert.Contains("0x400000", rig.State.Fault.Message);
    }
}
