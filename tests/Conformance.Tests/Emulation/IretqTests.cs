using Conformance.Emulation;
using Conformance.Tests.Support;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary><c>iretq</c> (48 cf) and handlers written in x86 that return with it.</summary>
public class IretqTests
{
    private const byte Timer = 0x20;
    private const ulong Counter = Rig.Data;

    [Fact]
    public void Iretq_is_encoded_48_cf()
    {
        var rig = new Rig().Assemble(a => a.iretq());
        Assert.Equal(new byte[] { 0x48, 0xcf }, rig.Bytes(Rig.Text, 2));
    }

    [Fact]
    public void Iretq_pops_rip_cs_rflags_rsp_and_ss()
    {
        var rig = new Rig().Load([0x48, 0xcf]);
        ulong frame = Rig.StackTop - 0x100;
        rig.WriteFrame(frame, rip: Rig.Text + 0x40, cs: 0x10, flags: (ulong)(RFlags.IF | RFlags.CF | RFlags.SF | RFlags.Reserved1), rsp: Rig.StackTop - 0x18, ss: 0x18);
        rig.State.Rsp = frame;
        rig.State.NmiBlocked = true;

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());

        Assert.Equal(Rig.Text + 0x40, rig.State.Rip);
        Assert.Equal(Rig.StackTop - 0x18, rig.State.Rsp);
        Assert.Equal(RFlags.IF | RFlags.CF | RFlags.SF | RFlags.Reserved1, rig.State.Flags);
        Assert.False(rig.State.NmiBlocked);
        Assert.Equal(rig.Memory.Now, rig.State.LastSerializingTime);
    }

    [Fact]
    public void Iretq_restores_IF_clear_from_the_frame()
    {
        var rig = new Rig().Load([0x48, 0xcf]);
        ulong frame = Rig.StackTop - 40;
        rig.WriteFrame(frame, rip: Rig.Text + 0x10, cs: 0x10, flags: (ulong)RFlags.Reserved1, rsp: Rig.StackTop, ss: 0x18);
        rig.State.Rsp = frame;
        rig.State.Flags |= RFlags.IF;

        rig.Cpu.Step();

        Assert.False(rig.State.InterruptsEnabled);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void Iretq_loads_only_the_flags_software_may_set()
    {
        var rig = new Rig().Load([0x48, 0xcf]);
        ulong frame = Rig.StackTop - 40;
        rig.WriteFrame(frame, rip: Rig.Text + 0x10, cs: 0x10, flags: ulong.MaxValue, rsp: Rig.StackTop, ss: 0x18);
        rig.State.Rsp = frame;

        rig.Cpu.Step();

        Assert.Equal(RFlags.Loadable | RFlags.Reserved1, rig.State.Flags);
    }

    [Fact]
    public void An_x86_handler_counts_interrupts_and_the_interrupted_loop_still_computes_its_sum()
    {
        var rig = new Rig().Assemble(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 100);
            a.xor(eax, eax);
            a.Label(ref top);
            a.add(rax, rcx);
            a.dec(ecx);
            a.jne(top);
            a.hlt();
        });
        rig.Assemble(a =>
        {
            a.inc(__qword_ptr[Counter]);
            a.iretq();
        }, Rig.Stubs);
        rig.Interrupts.Set(Timer, Rig.Stubs);
        rig.State.Flags |= RFlags.IF;

        int raised = 0, handlerSawIf = 0;
        var result = StepResult.Retired;
        for (int i = 0; i < 10_000 && result != StepResult.Halted; i++)
        {
            if (i % 7 == 3) { rig.Cpu.RaiseInterrupt(Timer); raised++; }
            result = rig.Cpu.Step();
            if (rig.State.Rip >= Rig.Stubs && rig.State.Rip < Rig.Stubs + Rig.StubSize && rig.State.InterruptsEnabled)
                handlerSawIf++;
        }

        Assert.Equal(StepResult.Halted, result);
        Assert.Equal(5050UL, rig.State[Gpr.Rax]);
        Assert.Equal(0UL, rig.State[Gpr.Rcx]);
        Assert.Equal((ulong)raised, rig.Read64(Counter));
        Assert.True(raised > 10);
        Assert.Equal(0, handlerSawIf);                   // the interrupt gate cleared IF for the handler
        Assert.True(rig.State.InterruptsEnabled);         // and iretq restored it
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void Iretq_through_a_corrupted_frame_faults_instead_of_returning()
    {
        // Real hardware raises #GP when iretq pops a CS or SS selector that is not a valid kernel one.
        var rig = new Rig().Load([0x48, 0xcf]);
        ulong frame = Rig.StackTop - 40;
        rig.Write64(frame, Rig.Text + 0x10);
        rig.Write64(frame + 8, 0x10);
        rig.Write64(frame + 16, (ulong)RFlags.Reserved1);
        rig.Write64(frame + 24, Rig.StackTop);
        rig.Write64(frame + 32, Rig.Text + 0x1234);   // a return address where SS belongs
        rig.State.Rsp = frame;

        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        var fault = rig.State.Fault!;
        Assert.Equal(FaultKind.BadInterruptFrame, fault.Kind);
        Assert.Equal(Rig.Text, fault.Rip);
        Assert.Contains("SS", fault.Message);
        Assert.Contains("0x401234", fault.Message);
        Assert.Equal(frame, rig.State.Rsp);
    }

    [Fact]
    public void Iretq_accepts_a_null_ss_as_64_bit_ring_0_does()
    {
        var rig = new Rig().Load([0x48, 0xcf]);
        ulong frame = Rig.StackTop - 40;
        rig.WriteFrame(frame, rip: Rig.Text + 0x10, cs: 0x10, flags: (ulong)RFlags.Reserved1, rsp: Rig.StackTop, ss: 0);
        rig.State.Rsp = frame;

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 0x10, rig.State.Rip);
    }

    [Fact]
    public void Iretq_with_a_wrong_cs_faults()
    {
        var rig = new Rig().Load([0x48, 0xcf]);
        ulong frame = Rig.StackTop - 40;
        rig.Write64(frame, Rig.Text + 0x10);
        rig.Write64(frame + 8, 0x33);   // a user code selector: not a return to ring 0
        rig.Write64(frame + 16, (ulong)RFlags.Reserved1);
        rig.Write64(frame + 24, Rig.StackTop);
        rig.Write64(frame + 32, 0x18);
        rig.State.Rsp = frame;

        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        Assert.Equal(FaultKind.BadInterruptFrame, rig.State.Fault!.Kind);
        Assert.Contains("CS", rig.State.Fault.Message);
    }

    [Fact]
    public void Iretq_with_the_frame_off_the_stack_faults_reading_it()
    {
        var rig = new Rig().Load([0x48, 0xcf]);
        rig.State.Rsp = Rig.StackTop - 16;   // only two words before the end of the region

        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        Assert.Equal(FaultKind.ReadUnmapped, rig.State.Fault!.Kind);
        Assert.Equal(Rig.Text, rig.State.Rip);
        Assert.Equal(Rig.StackTop - 16, rig.State.Rsp);
    }

    [Fact]
    public void A_handler_returns_into_the_middle_of_a_loop_with_its_registers_untouched()
    {
        // The handler saves and restores what it uses, as a kernel entry does.
        var a = new Assembler(64);
        var top = a.CreateLabel();
        a.mov(ebx, 0);
        a.mov(ecx, 50);
        a.Label(ref top);
        a.lea(rbx, __[rbx + rcx * 2 + 1]);
        a.push(rcx);
        a.pop(rdx);
        a.cmp(rdx, rcx);
        a.jne(top);   // never taken: push/pop round-trips
        a.dec(ecx);
        a.jne(top);
        a.hlt();
        var rig = new Rig();
        rig.Place(a);
        rig.Assemble(h =>
        {
            h.push(rbx);
            h.push(rcx);
            h.mov(rbx, 0xdead);
            h.mov(rcx, 0xbeef);
            h.add(__qword_ptr[Counter], rbx);
            h.pop(rcx);
            h.pop(rbx);
            h.iretq();
        }, Rig.Stubs);
        rig.Interrupts.Set(Timer, Rig.Stubs);
        rig.State.Flags |= RFlags.IF;

        int raised = 0;
        var result = StepResult.Retired;
        for (int i = 0; i < 10_000 && result != StepResult.Halted; i++)
        {
            // Less often than the handler's nine steps, or the loop would never run again.
            if (i % 23 == 1) { rig.Cpu.RaiseInterrupt(Timer); raised++; }
            result = rig.Cpu.Step();
        }

        Assert.Equal(StepResult.Halted, result);
        ulong expected = 0;
        for (ulong c = 50; c >= 1; c--) expected += c * 2 + 1;
        Assert.Equal(expected, rig.State[Gpr.Rbx]);
        Assert.Equal((ulong)raised * 0xdead, rig.Read64(Counter));
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }
}
