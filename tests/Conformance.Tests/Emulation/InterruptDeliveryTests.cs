using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>Maskable interrupts delivered as real x86-64 does in ring 0 (SDM vol. 3, 6.12 and 6.14).</summary>
public class InterruptDeliveryTests
{
    private const byte Timer = 0x20;
    private const ulong Handler = Rig.Stubs;

    /// <summary>A rig whose text is <c>nop; nop; nop; hlt</c>, with IF set and a gate for <see cref="Timer"/>.</summary>
    private static Rig NopRig(GateKind kind = GateKind.Interrupt)
    {
        var rig = new Rig().Load([0x90, 0x90, 0x90, 0xf4]);
        rig.Interrupts.Set(Timer, Handler, kind);
        rig.State.Flags |= RFlags.IF;
        return rig;
    }

    [Fact]
    public void Delivery_pushes_the_five_word_frame_after_aligning_rsp_down_to_16()
    {
        var rig = NopRig();
        ulong oldRsp = Rig.StackTop - 8;   // not 16-aligned: the CPU aligns before pushing
        rig.State.Rsp = oldRsp;
        rig.State.Flags |= RFlags.CF | RFlags.ZF;
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // nop at Text
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());

        ulong frame = (oldRsp & ~0xFUL) - 40;
        Assert.Equal(frame, rig.State.Rsp);
        Assert.Equal(Handler, rig.State.Rip);
        var f = rig.Frame(frame);
        Assert.Equal(Rig.Text + 1, f.Rip);   // the interrupted instruction boundary, at the lowest address
        Assert.Equal(0x10UL, f.Cs);
        Assert.Equal((ulong)(RFlags.Reserved1 | RFlags.IF | RFlags.CF | RFlags.ZF), f.Rflags);
        Assert.Equal(oldRsp, f.Rsp);
        Assert.Equal(0x18UL, f.Ss);
        Assert.False(rig.Cpu.IsPending(Timer));
    }

    [Fact]
    public void An_aligned_rsp_gets_the_frame_directly_below_it()
    {
        var rig = NopRig();
        rig.Cpu.RaiseInterrupt(Timer);
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.StackTop - 40, rig.State.Rsp);
        Assert.Equal(Rig.StackTop, rig.Frame(rig.State.Rsp).Rsp);
        Assert.Equal(Rig.Text, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void An_interrupt_gate_clears_IF()
    {
        var rig = NopRig(GateKind.Interrupt);
        rig.Cpu.RaiseInterrupt(Timer);
        rig.Cpu.Step();
        Assert.False(rig.State.InterruptsEnabled);
        Assert.NotEqual(0UL, rig.Frame(rig.State.Rsp).Rflags & (ulong)RFlags.IF);   // the saved copy keeps it
    }

    [Fact]
    public void A_trap_gate_keeps_IF()
    {
        var rig = NopRig(GateKind.Trap);
        rig.Cpu.RaiseInterrupt(Timer);
        rig.Cpu.Step();
        Assert.Equal(Handler, rig.State.Rip);
        Assert.True(rig.State.InterruptsEnabled);
    }

    [Fact]
    public void Delivery_is_a_serializing_event()
    {
        var rig = NopRig();
        rig.Run(2);
        long before = rig.State.LastSerializingTime;
        rig.Cpu.RaiseInterrupt(Timer);
        rig.Cpu.Step();
        Assert.Equal(rig.Memory.Now, rig.State.LastSerializingTime);
        Assert.True(rig.State.LastSerializingTime > before);
    }

    [Fact]
    public void A_maskable_interrupt_waits_while_IF_is_clear()
    {
        var rig = NopRig();
        rig.State.Flags &= ~RFlags.IF;
        rig.Cpu.RaiseInterrupt(Timer);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 2, rig.State.Rip);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
        Assert.True(rig.Cpu.IsPending(Timer));

        rig.State.Flags |= RFlags.IF;
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 2, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void The_highest_pending_vector_is_delivered_first()
    {
        var rig = new Rig().Load([0x90, 0x90, 0xf4]);
        var order = new List<byte>();
        foreach (byte v in new byte[] { 0x21, 0x30, 0x80, 0xfe })
        {
            ulong at = Rig.Stubs + (ulong)v * 8;
            rig.Interrupts.Set(v, at);
            rig.Memory.Decoded.BindHost(at, new Recorder(v, order));
        }
        rig.State.Flags |= RFlags.IF;
        rig.Cpu.RaiseInterrupt(0x30);
        rig.Cpu.RaiseInterrupt(0x21);
        rig.Cpu.RaiseInterrupt(0xfe);
        rig.Cpu.RaiseInterrupt(0x80);

        // Each handler runs with IF=0 and returns with iretq, which sets IF again: one delivery per return.
        Assert.Equal(StepResult.Halted, rig.Run(100));
        Assert.Equal(new byte[] { 0xfe, 0x80, 0x30, 0x21 }, order);
        Assert.Equal(Rig.Text + 3, rig.State.Rip);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void Raising_a_pending_vector_again_does_not_queue_a_second_delivery()
    {
        var rig = new Rig().Load([0x90, 0x90, 0x90, 0xf4]);
        var order = new List<byte>();
        rig.Interrupts.Set(Timer, Handler);
        rig.Memory.Decoded.BindHost(Handler, new Recorder(Timer, order));
        rig.Cpu.RaiseInterrupt(Timer);
        rig.Cpu.RaiseInterrupt(Timer);
        Assert.True(rig.Cpu.HasPendingInterrupts);
        rig.State.Flags |= RFlags.IF;
        Assert.Equal(StepResult.Halted, rig.Run(100));
        Assert.Equal(new byte[] { Timer }, order);
        Assert.False(rig.Cpu.HasPendingInterrupts);
    }

    [Fact]
    public void Hlt_wakes_on_an_interrupt_and_the_frame_returns_after_the_hlt()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.nop();
            a.hlt();
            a.mov(eax, 7);
            a.hlt();
        });
        rig.Interrupts.Set(Timer, Handler);
        rig.Assemble(a => a.iretq(), Handler);
        rig.State.Flags |= RFlags.IF;

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(StepResult.Halted, rig.Cpu.Step());
        Assert.Equal(RunState.Halted, rig.State.Run);
        Assert.Equal(StepResult.Halted, rig.Cpu.Step());   // nothing pending: no progress
        Assert.Equal(Rig.Text + 2, rig.State.Rip);

        rig.Cpu.RaiseInterrupt(Timer);
        Assert.Equal(StepResult.Delivered, rig.Cpu.Step());
        Assert.Equal(RunState.Running, rig.State.Run);
        Assert.Equal(Rig.Text + 2, rig.Frame(rig.State.Rsp).Rip);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // iretq
        Assert.Equal(Rig.Text + 2, rig.State.Rip);
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // mov eax, 7
        Assert.Equal(7UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void A_halted_cpu_with_IF_clear_stays_halted()
    {
        var rig = new Rig().Load([0xf4]);
        rig.Interrupts.Set(Timer, Handler);
        rig.Cpu.Step();
        rig.Cpu.RaiseInterrupt(Timer);
        for (int i = 0; i < 5; i++)
            Assert.Equal(StepResult.Halted, rig.Cpu.Step());
        Assert.True(rig.Cpu.IsPending(Timer));
    }

    [Fact]
    public void A_vector_without_a_gate_faults_NoHandler()
    {
        var rig = new Rig().Load([0x90, 0x90]);
        rig.State.Flags |= RFlags.IF;
        rig.Cpu.Step();
        rig.Cpu.RaiseInterrupt(0x41);

        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        var fault = rig.State.Fault!;
        Assert.Equal(FaultKind.NoHandler, fault.Kind);
        Assert.Equal(Rig.Text + 1, fault.Rip);
        Assert.Contains("65", fault.Message);            // the vector, in decimal
        Assert.Contains("0x400001", fault.Message);      // where it was to be delivered
        Assert.Equal(Rig.StackTop, rig.State.Rsp);      // nothing was pushed
    }

    /// <summary>Records the vector it serves and returns from the interrupt.</summary>
    private sealed class Recorder(byte vector, List<byte> order) : IHostRoutine
    {
        public string Name => $"record-{vector:x}";

        public HostOutcome Run(Cpu cpu)
        {
            Assert.False(cpu.State.InterruptsEnabled);
            order.Add(vector);
            return HostOutcome.InterruptReturn;
        }
    }
}
