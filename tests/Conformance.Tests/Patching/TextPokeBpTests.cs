using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching;

public class TextPokeBpTests
{
    [Fact]
    public void The_site_goes_int3_then_tail_then_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new TextPokeBp(), w);
        var request = w.Request(0, 0, 1);
        rig.Patch([request]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        var old = request.Old;
        var @new = request.New;
        byte[][] expected = [old, [0xcc, .. old[1..]], [0xcc, .. @new[1..]], @new];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        Assert.True(rig.Machine.WritersDone);
    }

    [Fact]
    public void A_cpu_that_traps_on_the_int3_runs_the_new_call_with_the_right_return_address()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new TextPokeBp(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        rig.Machine.Step(1);                                   // text_mutex taken
        rig.Machine.Step(1);                                   // int3 stored (then sync: the reader must take the IPI)
        var cpu = rig.Machine.Cpus[0];
        while (cpu.State.Rip != w.Sites[0].Address) rig.Machine.Step(0);   // the reader reaches the site (IPI taken on the way)
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());          // the #BP handler: emulate call target 1, iretq
        Assert.Equal(Workload.CallTarget(1), cpu.State.Rip);
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(w.Sites[0].Next, BitConverter.ToUInt64(Read(rig, cpu.State.Rsp, 8)));
        Assert.True(cpu.State.InterruptsEnabled);
    }

    [Fact]
    public void The_handler_declines_an_int3_outside_the_batch()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new TextPokeBp(), w);
        rig.Machine.Memory.Poke(w.Sites[0].Address, [0xcc]);   // an int3 nobody is patching
        var cpu = rig.Machine.Cpus[0];
        for (int i = 0; i < 20 && cpu.State.Run != RunState.Faulted; i++) cpu.Step();
        Assert.Equal(FaultKind.HandlerDeclined, cpu.State.Fault!.Kind);
        Assert.Contains("unclaimed int3", cpu.State.Fault.Message);
        Assert.Contains("text-poke-bp", cpu.State.Fault.Message);
    }

    [Fact]
    public void A_batch_is_sorted_and_every_site_is_found()
    {
        var w = Workload.Build([
            new SiteSpec("b", Workload.SiteArea + 0x80, SiteKind.Call, 0),
            new SiteSpec("a", Workload.SiteArea + 0x10, SiteKind.Nop5, -1),
        ]);
        var patcher = new TextPokeBp();
        var rig = PatchTesting.Rig(patcher, w);
        rig.Patch([w.Request(1, 0, 2), w.Request(0, -1, 1)]);
        var order = new List<ulong>();
        while (!rig.Machine.WritersDone)
        {
            if (rig.Machine.Step(1) == MachineStepKind.Waiting) { rig.Machine.Step(0); rig.Machine.Step(0); }
        }
        Assert.Equal(w.InstructionFor(0, 1), rig.Bytes(w.Sites[0]));
        Assert.Equal(w.InstructionFor(1, 2), rig.Bytes(w.Sites[1]));
        Assert.Contains("writer: store8 0x400050 <- cc", string.Join("\n", rig.Machine.Trace));
        var trace = rig.Machine.Trace.Where(l => l.Contains("<- cc")).ToArray();
        Assert.True(trace[0].Contains("0x400050") && trace[1].Contains("0x4000c0"), string.Join("\n", trace));
    }

    private static byte[] Read(PatchRig rig, ulong address, int n)
    {
        var b = new byte[n];
        rig.Machine.Memory.ReadCurrent(address, b);
        return b;
    }
}
