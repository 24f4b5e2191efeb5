using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>The shared decode cache: hits for unchanged code, invalidation by any store to it.</summary>
public class DecodeCacheTests
{
    /// <summary><c>mov eax, imm32; jmp back</c>: the mov is the 5-byte instruction b8 xx xx xx xx at Text.</summary>
    private static Rig MovLoop(uint imm)
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(eax, imm);
            a.jmp(Rig.Text);
        });
        rig.Run(2);   // both instructions are now cached
        Assert.Equal(imm, rig.State[Gpr.Rax]);
        Assert.Equal(Rig.Text, rig.State.Rip);
        return rig;
    }

    [Fact]
    public void A_poke_into_cached_text_is_executed_at_the_next_step()
    {
        var rig = MovLoop(1);
        rig.Memory.Poke(Rig.Text, [0xb8, 0x02, 0x00, 0x00, 0x00]);
        rig.Cpu.Step();
        Assert.Equal(2UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void A_poke_to_the_last_byte_of_a_cached_5_byte_instruction_invalidates_it()
    {
        var rig = MovLoop(0x01);
        long misses = rig.Memory.Decoded.Misses;
        rig.Memory.Poke(Rig.Text + 4, [0x7f]);
        rig.Cpu.Step();
        Assert.Equal(0x7f000001UL, rig.State[Gpr.Rax]);
        Assert.Equal(misses + 1, rig.Memory.Decoded.Misses);
    }

    [Fact]
    public void A_poke_to_the_last_byte_of_a_10_byte_instruction_invalidates_it()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(rax, 0x1111_2222_3333_4444);   // 48 b8 + 8 bytes
            a.jmp(Rig.Text);
        });
        rig.Run(2);
        rig.Memory.Poke(Rig.Text + 9, [0x55]);
        rig.Cpu.Step();
        Assert.Equal(0x5511_2222_3333_4444UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void A_poke_just_past_a_cached_instruction_leaves_it_cached()
    {
        var rig = MovLoop(3);
        long misses = rig.Memory.Decoded.Misses;
        rig.Memory.Poke(Rig.Text + 0x100, [0x90]);   // unrelated text
        rig.Run(4);
        Assert.Equal(misses, rig.Memory.Decoded.Misses);
        Assert.Equal(3UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void Re_executing_unchanged_code_decodes_nothing()
    {
        var rig = new Rig().Assemble(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 1000);
            a.Label(ref top);
            a.add(rax, rcx);
            a.push(rax);
            a.pop(rdx);
            a.dec(ecx);
            a.jne(top);
            a.hlt();
        });
        rig.Run(7);   // the first iteration decodes the loop
        long misses = rig.Memory.Decoded.Misses;
        Assert.Equal(6, misses);

        Assert.Equal(StepResult.Halted, rig.Run(100_000));
        Assert.Equal(misses + 1, rig.Memory.Decoded.Misses);   // only the hlt was new
        Assert.Equal(500_500UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void Patching_the_first_byte_of_a_call_to_int3_traps_at_the_next_fetch()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.call(Rig.Text + 0x20);
            a.jmp(Rig.Text);
        });
        rig.Assemble(a => a.ret(), Rig.Text + 0x20);
        rig.Interrupts.Set(Vectors.Breakpoint, Rig.Stubs);
        rig.Run(2);   // call, ret
        Assert.Equal(Rig.Text + 5, rig.State.Rip);
        rig.Cpu.Step();   // jmp

        rig.Memory.Poke(Rig.Text, [0xcc]);

        Assert.Equal(StepResult.Trapped, rig.Cpu.Step());
        Assert.Equal(Rig.Text + 1, rig.Frame(rig.State.Rsp).Rip);
    }

    [Fact]
    public void A_poke_into_an_undecodable_instruction_makes_it_decodable()
    {
        var rig = new Rig().Load([0xc6, 0xc8, 0x05]);   // c6 /1: no such instruction
        var before = rig.Memory.Decoded.Lookup(Rig.Text, out _)!;
        Assert.True(before.IsUnsupported);

        rig.Memory.Poke(Rig.Text + 1, [0xc0]);   // c6 c0 05: mov al, 5

        var after = rig.Memory.Decoded.Lookup(Rig.Text, out _)!;
        Assert.False(after.IsUnsupported);
        Assert.Equal(3, after.Length);
        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(5UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void Loading_code_before_the_run_also_invalidates()
    {
        var rig = MovLoop(4);
        rig.Load([0xb8, 0x09, 0x00, 0x00, 0x00]);
        rig.Cpu.Step();
        Assert.Equal(9UL, rig.State[Gpr.Rax]);
    }

    [Fact]
    public void Two_addresses_sharing_a_slot_are_both_executed_correctly()
    {
        // Text and the stub region are 0x80000 apart: a multiple of the slot count, so the same slot.
        var rig = new Rig().Assemble(a =>
        {
            a.add(eax, 1);
            a.jmp(Rig.Stubs);
        });
        rig.Assemble(a =>
        {
            a.add(ebx, 1);
            a.cmp(ebx, 10);
            a.jne(Rig.Text);
            a.hlt();
        }, Rig.Stubs);

        Assert.Equal(StepResult.Halted, rig.Run(1000));
        Assert.Equal(10UL, rig.State[Gpr.Rax]);
        Assert.Equal(10UL, rig.State[Gpr.Rbx]);
    }

    [Fact]
    public void Lookup_reports_why_nothing_can_be_fetched()
    {
        var rig = new Rig();
        Assert.Null(rig.Memory.Decoded.Lookup(0x1000, out var unmapped));
        Assert.Equal(FaultKind.FetchUnmapped, unmapped);
        Assert.Null(rig.Memory.Decoded.Lookup(Rig.Data, out var data));
        Assert.Equal(FaultKind.FetchNotExecutable, data);
        rig.Load([0x48, 0xb8], Rig.Text + Rig.TextSize - 2);
        Assert.Null(rig.Memory.Decoded.Lookup(Rig.Text + Rig.TextSize - 2, out var end));
        Assert.Equal(FaultKind.FetchPastRegionEnd, end);
    }
}
