using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

public class SmokeTests
{
    [Fact]
    public void A_counting_loop_runs_to_hlt()
    {
        var rig = new Rig().Assemble(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 10);
            a.xor(eax, eax);
            a.Label(ref top);
            a.add(rax, 3);
            a.dec(ecx);
            a.jne(top);
            a.hlt();
        });
        var result = rig.Run(100);
        Assert.Equal(StepResult.Halted, result);
        Assert.Equal(30UL, rig.State[Gpr.Rax]);
        Assert.Equal(0UL, rig.State[Gpr.Rcx]);
    }

    [Fact]
    public void Call_and_ret_use_the_stack()
    {
        var rig = new Rig().Assemble(a =>
        {
            var f = a.CreateLabel();
            a.call(f);
            a.hlt();
            a.Label(ref f);
            a.mov(rbx, __qword_ptr[rsp]);
            a.ret();
        });
        Assert.Equal(StepResult.Halted, rig.Run(10));
        Assert.Equal(Rig.Text + 5, rig.State[Gpr.Rbx]);
        Assert.Equal(Rig.StackTop, rig.State.Rsp);
    }
}
