using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>C# routines bound to code addresses with <see cref="DecodeCache.BindHost"/>.</summary>
public class HostRoutineTests
{
    private const ulong Stub = Rig.Stubs + 0x40;

    [Fact]
    public void A_called_host_routine_returns_like_ret()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(edi, 20);
            a.call(Stub);
            a.add(eax, 1);
            a.hlt();
        });
        var routine = new Lambda("double", cpu =>
        {
            cpu.State[Gpr.Rax] = cpu.State[Gpr.Rdi] * 2;
            return HostOutcome.Return;
        });
        rig.Memory.Decoded.BindHost(Stub, routine);

        Assert.Equal(StepResult.Halted, rig.Run(10));
        Assert.Equal(41UL, rig.State[Gpr.Rax]);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void A_host_routine_runs_as_one_step_and_sees_rip_at_its_own_address()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.call(Stub);
            a.hlt();
        });
        ulong seenRip = 0, seenTop = 0;
        rig.Memory.Decoded.BindHost(Stub, new Lambda("look", cpu =>
        {
            seenRip = cpu.State.Rip;
            Span<byte> b = stackalloc byte[8];
            cpu.Memory.ReadCurrent(cpu.State.Rsp, b);
            seenTop = BitConverter.ToUInt64(b);
            return HostOutcome.Return;
        }));

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // call
        Assert.Equal(Stub, rig.State.Rip);
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // the routine and its return
        Assert.Equal(Stub, seenRip);
        Assert.Equal(Rig.Text + 5, seenTop);
        Assert.Equal(Rig.Text + 5, rig.State.Rip);
    }

    [Fact]
    public void A_host_routine_can_be_bound_in_text_and_shadows_the_bytes_there()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(eax, 1);   // never executed: the host routine is bound at its address
            a.hlt();
        });
        rig.Assemble(a =>
        {
            a.call(Rig.Text);
            a.hlt();
        }, Rig.Text + 0x100);
        rig.State.Rip = Rig.Text + 0x100;
        rig.Memory.Decoded.BindHost(Rig.Text, new Lambda("seven", cpu =>
        {
            cpu.State[Gpr.Rax] = 7;
            return HostOutcome.Return;
        }));

        Assert.Equal(StepResult.Halted, rig.Run(10));
        Assert.Equal(7UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void Binding_over_a_cached_instruction_takes_effect_at_the_next_fetch()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(eax, 1);
            a.jmp(Rig.Text);
        });
        rig.Run(4);
        Assert.Equal(1UL, rig.State[Gpr.Rax]);
        Assert.Equal(Rig.Text, rig.State.Rip);

        rig.Memory.Decoded.BindHost(Rig.Text, new Lambda("stop", _ => HostOutcome.Declined("stopped")));

        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        Assert.Contains("stopped", rig.State.Fault!.Message);
    }

    [Fact]
    public void Binding_outside_code_is_rejected()
    {
        var rig = new Rig();
        var routine = new Lambda("r", _ => HostOutcome.Return);
        var e = Assert.Throws<ArgumentException>(() => rig.Memory.Decoded.BindHost(Rig.Data, routine));
        Assert.Contains("'r'", e.Message);
        Assert.Throws<ArgumentException>(() => rig.Memory.Decoded.BindHost(0x1000, routine));
    }

    [Fact]
    public void A_declined_call_faults_with_the_routine_name_address_and_reason()
    {
        var rig = new Rig().Assemble(a => a.call(Stub));
        rig.Memory.Decoded.BindHost(Stub, new Lambda("picky", _ => HostOutcome.Declined("not today")));

        rig.Cpu.Step();
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        var fault = rig.State.Fault!;
        Assert.Equal(FaultKind.HandlerDeclined, fault.Kind);
        Assert.Equal(Stub, fault.Rip);
        Assert.Contains("'picky'", fault.Message);
        Assert.Contains("not today", fault.Message);
        Assert.Contains("0x480040", fault.Message);
    }

    [Fact]
    public void A_routine_that_throws_is_a_fault_and_the_cpu_stays_stopped()
    {
        var rig = new Rig().Assemble(a => a.call(Stub));
        rig.Memory.Decoded.BindHost(Stub, new Lambda("boom", _ => throw new IndexOutOfRangeException("slot 9")));

        rig.Cpu.Step();
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        var fault = rig.State.Fault!;
        Assert.Equal(FaultKind.HandlerDeclined, fault.Kind);
        Assert.Contains("'boom'", fault.Message);
        Assert.Contains(nameof(IndexOutOfRangeException), fault.Message);
        Assert.Contains("slot 9", fault.Message);
        Assert.Equal(Stub, rig.State.Rip);
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
    }

    [Fact]
    public void A_host_return_with_an_empty_stack_faults_reading_it()
    {
        var rig = new Rig().Assemble(a => a.jmp(Stub));
        rig.Memory.Decoded.BindHost(Stub, new Lambda("ret", _ => HostOutcome.Return));

        rig.Cpu.Step();
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        Assert.Equal(FaultKind.ReadUnmapped, rig.State.Fault!.Kind);
        Assert.Equal(Stub, rig.State.Rip);
    }

    [Fact]
    public void A_host_routine_may_use_the_stack_like_x86_code_does()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(rbx, 0x1122);
            a.call(Stub);
            a.pop(rcx);   // the routine pushed a value for the caller below its return address
            a.hlt();
        });
        rig.Memory.Decoded.BindHost(Stub, new Lambda("swap", cpu =>
        {
            // Replace the return address with the value and jump straight back, as a tail would.
            Span<byte> b = stackalloc byte[8];
            cpu.Memory.ReadCurrent(cpu.State.Rsp, b);
            ulong ret = BitConverter.ToUInt64(b);
            cpu.Memory.Poke(cpu.State.Rsp, BitConverter.GetBytes(cpu.State[Gpr.Rbx]));
            cpu.State.Rip = ret;
            cpu.State.Rsp -= 8;
            cpu.Memory.Poke(cpu.State.Rsp, BitConverter.GetBytes(ret));
            return HostOutcome.Return;
        }));

        Assert.Equal(StepResult.Halted, rig.Run(10));
        Assert.Equal(0x1122UL, rig.State[Gpr.Rcx]);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    private sealed class Lambda(string name, Func<Cpu, HostOutcome> run) : IHostRoutine
    {
        public string Name => name;
        public HostOutcome Run(Cpu cpu) => run(cpu);
    }
}
