using Conformance.Emulation;
using Conformance.Tests.Support;

namespace Conformance.Tests.Emulation;

/// <summary>The STI shadow (SDM vol. 3, 6.8.3): one instruction after an <c>sti</c> that sets IF.</summary>
public class InterruptShadowTests
{
    private const byte Timer = 0x20;
    private const ulong TimerHandler = Rig.Stubs;
    private const ulong NmiHandler = Rig.Stubs + 0x100;

    /// <summary><c>sti; nop; nop; hlt</c> with IF clear, x86 handlers that only <c>iretq</c>.</summary>
    private static Rig StiRig(CpuOptions? options = null)
    {
        var rig = new Rig(options).Assemble(a =>
        {
            a.sti();
            a.nop();
            a.nop();
            a.hlt();
        });
        rig.Assemble(a => a.iretq(), TimerHandler);
        rig.Assemble(a => a.iretq(), NmiHandler);
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.Interrupts.Set(Vectors.Nmi, NmiHandler);
        return rig;
    }

    [Fact]
    public void Sti_holds_a_pending_interrupt_off_for_one_instruction()
    {
        var rig = StiRig();
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // sti
        Assert.Equal(InterruptShadow.Sti, rig.State.Shadow);
        Assert.True(rig.State.InterruptsEnabled);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // the nop in the shadow
        Assert.Equal(Rig.Text + 2, rig.State.Rip);
        Assert.Equal(InterruptShadow.None, rig.State.Shadow);
        Assert.True(rig.Cpu.IsPending(Timer));

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(TimerHandler, rig.State.Rip);
        Assert.Equal(Rig.Text + 2, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void Sti_with_IF_already_set_makes_no_shadow()
    {
        var rig = StiRig();
        rig.State.Flags |= RFlags.IF;

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // sti
        Assert.Equal(InterruptShadow.None, rig.State.Shadow);
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void Sti_then_cli_never_lets_the_interrupt_in()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.sti();
            a.cli();
            a.nop();
            a.hlt();
        });
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.Cpu.RaiseInterrupt(Timer);

        var results = new List<StepResult>();
        for (int i = 0; i < 6; i++) results.Add(rig.Cpu.Step());

        Assert.DoesNotContain(StepResult.Delivered, results);
        Assert.Equal(RunState.Halted, rig.State.Run);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
        Assert.True(rig.Cpu.IsPending(Timer));
    }

    [Fact]
    public void Sti_then_hlt_halts_before_the_interrupt_and_wakes_on_it()
    {
        // The safe-halt idiom: the interrupt cannot slip in between sti and hlt and be missed.
        var rig = new Rig().Assemble(a =>
        {
            a.sti();
            a.hlt();
            a.nop();
        });
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // sti
        Assert.Equal(StepResult.Halted, rig.Cpu.Step());    // hlt, in the shadow
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 2, rig.Frame(rig.State.Rsp).Rip);
        Assert.Equal(RunState.Running, rig.State.Run);
    }

    [Fact]
    public void Popfq_setting_IF_makes_no_shadow()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.push(0x202);
            a.popfq();
            a.nop();
        });
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.Cpu.RaiseInterrupt(Timer);

        rig.Cpu.Step();
        rig.Cpu.Step();
        Assert.True(rig.State.InterruptsEnabled);
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 6, rig.Frame(rig.State.Rsp).Rip);   // push imm32 (5 bytes), popfq, then the nop
    }

    [Fact]
    public void An_nmi_waits_for_the_sti_shadow_by_default()
    {
        var rig = StiRig();
        Assert.False(rig.Cpu.Options.NmiMayEndStiShadow);

        rig.Cpu.Step();   // sti
        rig.Cpu.RaiseNmi();

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // the nop in the shadow
        Assert.True(rig.Cpu.NmiPending);
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(NmiHandler, rig.State.Rip);
        Assert.Equal(Rig.Text + 2, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void An_nmi_may_end_the_sti_shadow_when_the_option_allows_it()
    {
        var rig = StiRig(new CpuOptions { NmiMayEndStiShadow = true });
        rig.Cpu.Step();   // sti
        rig.Cpu.RaiseNmi();
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(NmiHandler, rig.State.Rip);
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);   // inside the shadow
        Assert.Equal(InterruptShadow.None, rig.State.Shadow);

        // The shadow is over: once the NMI handler returns, the timer interrupt is taken before
        // the instruction the shadow would have protected.
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());           // iretq
        Assert.Equal(Rig.Text + 1, rig.State.Rip);
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(TimerHandler, rig.State.Rip);
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void A_maskable_interrupt_does_not_end_the_shadow_even_with_the_nmi_option()
    {
        var rig = StiRig(new CpuOptions { NmiMayEndStiShadow = true });
        rig.Cpu.Step();   // sti
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 2, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void The_linux_push_sti_jmp_stub_returns_with_no_interrupt_between_sti_and_the_jump()
    {
        // A patcher's stub re-enables interrupts and jumps back to text in one shadowed step.
        var rig = new Rig().Assemble(a =>
        {
            a.sti();
            a.jmp(Rig.Text + 0x100);
        }, Rig.Stubs + 0x200);
        rig.Assemble(a => a.hlt(), Rig.Text + 0x100);
        rig.Interrupts.Set(Timer, TimerHandler);
        rig.State.Rip = Rig.Stubs + 0x200;
        rig.Cpu.RaiseInterrupt(Timer);

        rig.Cpu.Step();   // sti
        rig.Cpu.Step();   // jmp, in the shadow
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 0x100, rig.Frame(rig.State.Rsp).Rip);   // taken back in text, not in the stub
    }
}
