using Conformance.Emulation;
using Conformance.Tests.Support;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>
/// <c>int3</c> (cc) as the trap a live patcher relies on: #BP through vector 3 with the saved RIP
/// after the cc, and handlers that edit the frame the way Linux's <c>poke_int3_handler</c> does.
/// </summary>
public class BreakpointTests
{
    private const ulong Handler = Rig.Stubs;
    private const ulong Counter = Rig.Data;

    [Fact]
    public void Int3_is_a_trap_whose_saved_rip_is_the_byte_after_the_cc()
    {
        var rig = new Rig().Load([0x90, 0xcc, 0x90, 0xf4]);
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);
        rig.State.Flags |= RFlags.IF;

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());
        Assert.Equal(StepResult.Trapped, rig.Cpu.Step());

        Assert.Equal(Handler, rig.State.Rip);
        var f = rig.Frame(rig.State.Rsp);
        Assert.Equal(Rig.Text + 2, f.Rip);
        Assert.Equal(0x10UL, f.Cs);
        Assert.Equal(Rig.StackTop, f.Rsp);
        Assert.Equal(0x18UL, f.Ss);
        Assert.False(rig.State.InterruptsEnabled);          // interrupt gate, as Linux installs #BP
        Assert.Equal(rig.Memory.Now, rig.State.LastSerializingTime);
    }

    [Fact]
    public void Int3_without_a_breakpoint_gate_faults_NoHandler()
    {
        var rig = new Rig().Load([0xcc]);
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
        Assert.Equal(FaultKind.NoHandler, rig.State.Fault!.Kind);
        Assert.Equal(Rig.Text, rig.State.Fault.Rip);
        Assert.Contains("#BP", rig.State.Fault.Message);
        Assert.Contains("0x400000", rig.State.Fault.Message);
    }

    [Fact]
    public void An_x86_breakpoint_handler_returns_to_the_byte_after_the_cc()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(eax, 1);
            a.int3();
            a.add(eax, 2);
            a.hlt();
        });
        rig.Assemble(a =>
        {
            a.inc(__qword_ptr[Counter]);
            a.iretq();
        }, Handler);
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        Assert.Equal(StepResult.Halted, rig.Run(20));
        Assert.Equal(3UL, rig.State[Gpr.Rax]);
        Assert.Equal(1UL, rig.Read64(Counter));
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void A_host_handler_skips_a_call_site_patched_to_int3()
    {
        // text_poke_bp's first step writes cc over the first byte of a 5-byte call; a CPU that hits
        // it is sent past the whole instruction (the site is being turned into a nop).
        var a = new Assembler(64);
        var site = a.CreateLabel();
        var callee = a.CreateLabel();
        a.xor(eax, eax);
        a.Label(ref site);
        a.call(callee);
        a.inc(ebx);
        a.hlt();
        a.Label(ref callee);
        a.mov(eax, 1);
        a.ret();
        var rig = new Rig();
        ulong at = rig.Place(a).GetLabelRIP(site);
        rig.Memory.Poke(at, [0xcc]);
        var handler = new SkipSite(at, 5);
        rig.Memory.Decoded.BindHost(Handler, handler);
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        Assert.Equal(StepResult.Halted, rig.Run(20));

        Assert.Equal(1, handler.Hits);
        Assert.Equal(0UL, rig.State[Gpr.Rax]);   // the call was not made
        Assert.Equal(1UL, rig.State[Gpr.Rbx]);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void Emulating_a_call_without_a_stack_gap_overwrites_the_trap_frame()
    {
        // int3_emulate_call pushes the return address on the interrupted stack. The frame the CPU
        // pushed lies directly below that stack, so without a gap the push lands on the frame (here
        // on its SS slot, RSP being 16-aligned), and the iretq that follows pops garbage.
        var (rig, site, callee) = PatchedCall();
        var handler = new EmulateCall(site, callee, gap: 0);
        rig.Memory.Decoded.BindHost(Handler, handler);
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        Assert.Equal(StepResult.Faulted, rig.Run(20));

        ulong frame = Rig.StackTop - 40;
        Assert.Equal(frame + 32, handler.PushedAt);                // the frame's SS slot
        Assert.Equal(site + 5, rig.Frame(frame).Ss);               // now holds the return address
        Assert.Equal(FaultKind.BadInterruptFrame, rig.State.Fault!.Kind);
        Assert.Contains("emulate-call", rig.State.Fault.Message);  // the iretq was the routine's
    }

    [Fact]
    public void Emulating_a_call_works_once_the_handler_moves_its_frame_below_a_gap()
    {
        // Linux's fix: the int3 entry copies the hardware frame down, leaving a gap the emulated
        // push can use without touching the frame iretq will pop.
        var (rig, site, callee) = PatchedCall();
        var handler = new EmulateCall(site, callee, gap: 64);
        rig.Memory.Decoded.BindHost(Handler, handler);
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        Assert.Equal(StepResult.Halted, rig.Run(20));

        Assert.Equal(Rig.StackTop - 8, handler.PushedAt);
        Assert.Equal(1UL, rig.State[Gpr.Rax]);              // the callee ran
        Assert.Equal(site + 5, rig.State[Gpr.Rdx]);          // and saw the right return address
        Assert.Equal(1UL, rig.State[Gpr.Rbx]);              // then returned after the call site
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void An_int3_inside_the_breakpoint_handler_nests_a_second_frame_and_both_return()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(eax, 1);
            a.int3();
            a.add(eax, 2);
            a.hlt();
        });
        // The handler counts its entries; on the first it hits an int3 of its own.
        var h = new Assembler(64);
        var done = h.CreateLabel();
        var inner = h.CreateLabel();
        h.inc(__qword_ptr[Counter]);
        h.cmp(__qword_ptr[Counter], 1);
        h.jne(done);
        h.Label(ref inner);
        h.int3();
        h.add(__qword_ptr[Counter + 8], 1);   // runs once, after the nested return
        h.Label(ref done);
        h.iretq();
        var result = rig.Place(h, Handler);
        ulong afterInner = result.GetLabelRIP(inner) + 1;
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        Assert.Equal(StepResult.Retired, rig.Cpu.Step());   // mov
        Assert.Equal(StepResult.Trapped, rig.Cpu.Step());   // outer int3
        ulong outer = rig.State.Rsp;
        Assert.Equal(Rig.StackTop - 40, outer);
        Assert.True(rig.RunUntil(result.GetLabelRIP(inner)));
        Assert.Equal(StepResult.Trapped, rig.Cpu.Step());   // nested int3
        ulong nested = rig.State.Rsp;

        Assert.Equal((outer & ~0xFUL) - 40, nested);
        var f = rig.Frame(nested);
        Assert.Equal(afterInner, f.Rip);
        Assert.Equal(outer, f.Rsp);
        Assert.Equal(0UL, f.Rflags & (ulong)RFlags.IF);      // the handler was running with IF=0
        Assert.Equal(Rig.Text + 6, rig.Frame(outer).Rip);   // the outer frame is intact

        Assert.Equal(StepResult.Halted, rig.Run(50));
        Assert.Equal(3UL, rig.State[Gpr.Rax]);
        Assert.Equal(2UL, rig.Read64(Counter));
        Assert.Equal(1UL, rig.Read64(Counter + 8));
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }

    [Fact]
    public void A_host_handler_that_declines_faults_naming_the_routine()
    {
        var rig = new Rig().Load([0xcc]);
        rig.Memory.Decoded.BindHost(Handler, new Declines());
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        Assert.Equal(StepResult.Trapped, rig.Cpu.Step());
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());

        var fault = rig.State.Fault!;
        Assert.Equal(FaultKind.HandlerDeclined, fault.Kind);
        Assert.Equal(Handler, fault.Rip);
        Assert.Contains("poke_int3_handler", fault.Message);
        Assert.Contains("no patch site at 0x400001", fault.Message);
    }

    [Fact]
    public void A_host_handler_that_throws_faults_naming_the_routine_and_the_exception()
    {
        var rig = new Rig().Load([0xcc]);
        rig.Memory.Decoded.BindHost(Handler, new Throws());
        rig.Interrupts.Set(Vectors.Breakpoint, Handler);

        rig.Cpu.Step();
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());

        var fault = rig.State.Fault!;
        Assert.Equal(FaultKind.HandlerDeclined, fault.Kind);
        Assert.Contains("broken", fault.Message);
        Assert.Contains(nameof(InvalidOperationException), fault.Message);
        Assert.Contains("frame looks wrong", fault.Message);
        Assert.Equal(StepResult.Faulted, rig.Cpu.Step());
    }

    /// <summary>Text with a 5-byte call at <c>site</c> whose first byte is patched to cc; the callee reads its return address.</summary>
    private static (Rig Rig, ulong Site, ulong Callee) PatchedCall()
    {
        var a = new Assembler(64);
        var site = a.CreateLabel();
        var callee = a.CreateLabel();
        a.xor(eax, eax);
        a.Label(ref site);
        a.call(callee);
        a.inc(ebx);
        a.hlt();
        a.Label(ref callee);
        a.mov(eax, 1);
        a.mov(rdx, __qword_ptr[rsp]);
        a.ret();
        var rig = new Rig();
        var result = rig.Place(a);
        ulong at = result.GetLabelRIP(site);
        rig.Memory.Poke(at, [0xcc]);
        return (rig, at, result.GetLabelRIP(callee));
    }

    /// <summary>Sends a CPU that trapped on the cc at <c>site</c> past the <c>length</c>-byte instruction.</summary>
    private sealed class SkipSite(ulong site, int length) : IHostRoutine
    {
        public int Hits;
        public string Name => "skip-site";

        public HostOutcome Run(Cpu cpu)
        {
            ulong frame = cpu.State.Rsp;
            ulong rip = Read(cpu, frame);
            if (rip - 1 != site) return HostOutcome.Declined($"no patch site at 0x{rip - 1:x}");
            Hits++;
            cpu.Memory.Poke(frame, BitConverter.GetBytes(site + (ulong)length));
            return HostOutcome.InterruptReturn;
        }
    }

    /// <summary>
    /// Linux's int3_emulate_call: push the return address on the interrupted stack, then resume at
    /// the callee. With a <c>gap</c>, the frame is first copied that many bytes lower.
    /// </summary>
    private sealed class EmulateCall(ulong site, ulong callee, int gap) : IHostRoutine
    {
        public ulong PushedAt;
        public string Name => "emulate-call";

        public HostOutcome Run(Cpu cpu)
        {
            ulong frame = cpu.State.Rsp;
            if (gap > 0)
            {
                ulong copy = frame - (ulong)gap;
                for (ulong i = 0; i < 40; i += 8)
                    cpu.Memory.Poke(copy + i, BitConverter.GetBytes(Read(cpu, frame + i)));
                cpu.State.Rsp = frame = copy;
            }
            if (Read(cpu, frame) - 1 != site) return HostOutcome.Declined("not our site");
            ulong sp = Read(cpu, frame + 24) - 8;
            PushedAt = sp;
            cpu.Memory.Poke(sp, BitConverter.GetBytes(site + 5));        // regs->sp -= 8; *regs->sp = ret
            cpu.Memory.Poke(frame + 24, BitConverter.GetBytes(sp));
            cpu.Memory.Poke(frame, BitConverter.GetBytes(callee));       // regs->ip = target
            return HostOutcome.InterruptReturn;
        }
    }

    private sealed class Declines : IHostRoutine
    {
        public string Name => "poke_int3_handler";

        public HostOutcome Run(Cpu cpu)
        {
            Span<byte> b = stackalloc byte[8];
            cpu.Memory.ReadCurrent(cpu.State.Rsp, b);
            return HostOutcome.Declined($"no patch site at 0x{BitConverter.ToUInt64(b):x}");
        }
    }

    private sealed class Throws : IHostRoutine
    {
        public string Name => "broken";
        public HostOutcome Run(Cpu cpu) => throw new InvalidOperationException("frame looks wrong");
    }

    private static ulong Read(Cpu cpu, ulong address)
    {
        Span<byte> b = stackalloc byte[8];
        cpu.Memory.ReadCurrent(address, b);
        return BitConverter.ToUInt64(b);
    }
}
