using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>Faults are findings: each names the address and the cause, and stops the CPU for good.</summary>
public class FaultTests
{
    private static Fault RunToFault(Rig rig, int steps = 100)
    {
        Assert.Equal(StepResult.Faulted, rig.Run(steps));
        Assert.Equal(RunState.Faulted, rig.State.Run);
        return rig.State.Fault!;
    }

    [Fact]
    public void Undecodable_bytes_raise_InvalidOpcode_naming_address_and_bytes()
    {
        var rig = new Rig().Load([0x90, 0x06]);   // push es does not exist in 64-bit mode
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.InvalidOpcode, fault.Kind);
        Assert.Equal(Rig.Text + 1, fault.Rip);
        Assert.Equal(Rig.Text + 1, fault.Address);
        Assert.Equal(Rig.Text + 1, rig.State.Rip);
        Assert.Contains("0x400001", fault.Message);
        Assert.Contains("06", fault.Message);
        Assert.Contains("do not decode", fault.Message);
    }

    [Fact]
    public void An_instruction_outside_the_subset_raises_InvalidOpcode_naming_it()
    {
        var rig = new Rig().Assemble(a => a.rdtsc());
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.InvalidOpcode, fault.Kind);
        Assert.Contains("0x400000", fault.Message);
        Assert.Contains("rdtsc", fault.Message);
        Assert.Contains("outside the emulated subset", fault.Message);
    }

    [Fact]
    public void A_jump_to_an_unmapped_address_faults_FetchUnmapped()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(rax, 0x12_3456);
            a.jmp(rax);
        });
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.FetchUnmapped, fault.Kind);
        Assert.Equal(0x12_3456UL, fault.Rip);
        Assert.Equal(0x12_3456UL, fault.Address);
        Assert.Contains("0x123456", fault.Message);
        Assert.Contains("no region maps", fault.Message);
    }

    [Fact]
    public void A_fetch_from_data_faults_FetchNotExecutable_naming_the_region()
    {
        var rig = new Rig().Assemble(a => a.jmp(Rig.Data + 0x10));
        rig.Memory.Poke(Rig.Data + 0x10, [0x90]);   // a valid instruction, but in data
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.FetchNotExecutable, fault.Kind);
        Assert.Equal(Rig.Data + 0x10, fault.Address);
        Assert.Contains("0x600010", fault.Message);
        Assert.Contains("'data'", fault.Message);
    }

    [Fact]
    public void A_return_onto_the_stack_faults_FetchNotExecutable()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.lea(rax, __[rsp - 8]);
            a.push(rax);
            a.ret();
        });
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.FetchNotExecutable, fault.Kind);
        Assert.Equal(Rig.StackTop - 8, fault.Address);
        Assert.Contains("'stack'", fault.Message);
    }

    [Fact]
    public void An_instruction_running_past_the_end_of_text_faults_FetchPastRegionEnd()
    {
        ulong at = Rig.Text + Rig.TextSize - 3;
        var rig = new Rig().Load([0xb8, 0x01, 0x00], at);   // mov eax, imm32 missing two bytes
        rig.State.Rip = at;
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.FetchPastRegionEnd, fault.Kind);
        Assert.Equal(at, fault.Rip);
        Assert.Contains("0x40fffd", fault.Message);
        Assert.Contains("'text'", fault.Message);
    }

    [Fact]
    public void Falling_off_the_end_of_text_faults_FetchUnmapped()
    {
        ulong at = Rig.Text + Rig.TextSize - 1;
        var rig = new Rig().Load([0x90], at);
        rig.State.Rip = at;
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.FetchUnmapped, fault.Kind);
        Assert.Equal(Rig.Text + Rig.TextSize, fault.Address);
    }

    [Fact]
    public void A_push_below_the_stack_region_faults_StackOverflow()
    {
        var rig = new Rig().Assemble(a => a.push(rax));
        rig.State.Rsp = Rig.Stack;   // the stack is full
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.StackOverflow, fault.Kind);
        Assert.Equal(Rig.Text, fault.Rip);
        Assert.Equal(Rig.Stack - 8, fault.Address);
        Assert.Contains("0x7efff8", fault.Message);   // the slot
        Assert.Contains("'stack'", fault.Message);    // the region it left
        Assert.Equal(Rig.Stack, rig.State.Rsp);
    }

    [Fact]
    public void A_call_with_a_full_stack_faults_StackOverflow_and_does_not_jump()
    {
        var rig = new Rig().Assemble(a => a.call(Rig.Text + 0x40));
        rig.State.Rsp = Rig.Stack + 4;   // not even one word left
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.StackOverflow, fault.Kind);
        Assert.Equal(Rig.Text, rig.State.Rip);
        Assert.Equal(Rig.Stack + 4, rig.State.Rsp);
    }

    [Fact]
    public void A_push_with_rsp_in_data_faults_StackOverflow()
    {
        var rig = new Rig().Assemble(a => a.push(rax));
        rig.State.Rsp = Rig.Data + 0x100;
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.StackOverflow, fault.Kind);
        Assert.Contains("0x6000f8", fault.Message);
        Assert.Contains("not inside a stack region", fault.Message);
    }

    [Fact]
    public void An_interrupt_frame_that_does_not_fit_faults_StackOverflow()
    {
        var rig = new Rig().Load([0x90, 0x90]);
        rig.Interrupts.Set(0x20, Rig.Stubs);
        rig.State.Rsp = Rig.Stack + 0x20;   // 32 bytes left; a frame needs 40
        rig.State.Flags |= RFlags.IF;
        rig.Cpu.RaiseInterrupt(0x20);

        var fault = RunToFault(rig);

        Assert.Equal(FaultKind.StackOverflow, fault.Kind);
        Assert.Equal(Rig.Text, fault.Rip);
        Assert.Equal(Rig.Stack + 0x20 - 40, fault.Address);
        Assert.Contains("frame", fault.Message);
        Assert.Contains("vector 32", fault.Message);
        Assert.Contains("'stack'", fault.Message);
        Assert.Equal(Rig.Stack + 0x20, rig.State.Rsp);
        Assert.Equal(Rig.Text, rig.State.Rip);
    }

    [Fact]
    public void An_int3_whose_frame_does_not_fit_faults_at_the_int3()
    {
        var rig = new Rig().Load([0x90, 0xcc]);
        rig.Interrupts.Set(Vectors.Breakpoint, Rig.Stubs);
        rig.State.Rsp = Rig.Stack + 8;
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.StackOverflow, fault.Kind);
        Assert.Equal(Rig.Text + 1, fault.Rip);
        Assert.Equal(Rig.Text + 1, rig.State.Rip);
    }

    [Fact]
    public void A_store_to_text_by_an_instruction_faults_WriteReadOnly()
    {
        var rig = new Rig().Assemble(a => a.mov(__byte_ptr[Rig.Text + 0x80], 0xcc));
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.WriteReadOnly, fault.Kind);
        Assert.Equal(Rig.Text + 0x80, fault.Address);
        Assert.Contains("0x400080", fault.Message);
        Assert.Contains("'text'", fault.Message);
        Assert.Equal(0, rig.Memory.Find(Rig.Text)!.History!.Count);
    }

    [Fact]
    public void A_load_from_nowhere_faults_ReadUnmapped()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(rbx, 0x1000);
            a.mov(rax, __qword_ptr[rbx + 8]);
        });
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.ReadUnmapped, fault.Kind);
        Assert.Equal(0x1008UL, fault.Address);
        Assert.Contains("0x1008", fault.Message);
    }

    [Fact]
    public void A_load_straddling_the_end_of_a_region_faults()
    {
        var rig = new Rig().Assemble(a => a.mov(rax, __qword_ptr[Rig.Data + Rig.DataSize - 4]));
        var fault = RunToFault(rig);
        Assert.Equal(FaultKind.ReadUnmapped, fault.Kind);
        Assert.Equal(Rig.Data + Rig.DataSize - 4, fault.Address);
    }

    [Fact]
    public void After_a_fault_steps_return_Faulted_and_change_nothing()
    {
        var rig = new Rig().Load([0x90, 0x06]);
        rig.Interrupts.Set(0x20, Rig.Stubs);
        rig.Interrupts.Set(Vectors.Nmi, Rig.Stubs);
        RunToFault(rig);
        var state = rig.State.Clone();
        long now = rig.Memory.Now;
        long misses = rig.Memory.Decoded.Misses;
        rig.State.Flags |= RFlags.IF;
        state.Flags |= RFlags.IF;
        rig.Cpu.RaiseInterrupt(0x20);
        rig.Cpu.RaiseNmi();

        for (int i = 0; i < 5; i++)
            Assert.Equal(StepResult.Faulted, rig.Cpu.Step());

        Assert.Equal(now, rig.Memory.Now);
        Assert.Equal(misses, rig.Memory.Decoded.Misses);
        Assert.Equal(state.Rip, rig.State.Rip);
        Assert.Equal(state.Gpr, rig.State.Gpr);
        Assert.Equal(state.Flags, rig.State.Flags);
        Assert.Same(state.Fault, rig.State.Fault);
        Assert.True(rig.Cpu.IsPending(0x20));
        Assert.True(rig.Cpu.NmiPending);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void A_fault_reads_well_as_a_string()
    {
        var rig = new Rig().Load([0x06]);
        var fault = RunToFault(rig);
        Assert.StartsWith("InvalidOpcode at RIP 0x400000: ", fault.ToString());
    }
}
