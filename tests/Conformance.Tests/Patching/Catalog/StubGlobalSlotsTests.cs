using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class StubGlobalSlotsTests
{
    [Fact]
    public void It_is_registered_and_expected_to_fail_by_stub_reuse_under_every_model()
    {
        Assert.Equal(typeof(StubGlobalSlots), PatcherRegistry.Get("stub-global-slots").Type);
        foreach (string model in Expect.AllModels)
            foreach (bool nmi in new[] { false, true })
                Assert.Equal("fail (ReusedStub)", Declared("stub-global-slots", model, nmi));
    }

    [Fact]
    public void The_stub_reads_two_global_slots_in_data_past_the_counters()
    {
        Assert.Equal(0x60_0800UL, StubGlobalSlots.DestSlot);
        Assert.Equal(0x60_0808UL, StubGlobalSlots.ContinueSlot);
        Assert.True(StubGlobalSlots.DestSlot > Workload.Counter(Workload.SkipCounter) + 8);
        Assert.Equal("ff 14 25 00 08 60 00 ff 24 25 08 08 60 00", Forms.Hex(StubGlobalSlots.Stub));
        Assert.Equal("call qword ptr [600800h]", Forms.Decode(0, StubGlobalSlots.Stub[..7])!.Value.ToString());
        Assert.Equal("jmp qword ptr [600808h]", Forms.Decode(0, StubGlobalSlots.Stub[7..])!.Value.ToString());
    }

    [Fact]
    public void Steps_write_the_stub_once_then_dest_and_continue_then_int3_tail_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StubGlobalSlots(), w);
        var site = w.Sites[0];
        ulong stub = rig.Stubs.Slot(0);
        string State() => $"stub {Forms.Hex(Read(rig, stub, 14))} dest {Word(rig, StubGlobalSlots.DestSlot):x} cont {Word(rig, StubGlobalSlots.ContinueSlot):x} site {Forms.Hex(rig.Bytes(site))}";
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = StatesAfterEachWriterStep(rig, State);

        string zeros7 = "00 00 00 00 00 00 00", call = Forms.Hex(StubGlobalSlots.Stub[..7]), all = Forms.Hex(StubGlobalSlots.Stub);
        string old = Forms.Hex(r.Old), @new = Forms.Hex(r.New);
        string[] expected =
        [
            $"stub {zeros7} {zeros7} dest 0 cont 0 site {old}",
            $"stub {call} {zeros7} dest 0 cont 0 site {old}",
            $"stub {all} dest 0 cont 0 site {old}",
            $"stub {all} dest {Workload.CallTarget(1):x} cont 0 site {old}",
            $"stub {all} dest {Workload.CallTarget(1):x} cont 400055 site {old}",
            $"stub {all} dest {Workload.CallTarget(1):x} cont 400055 site cc {old[3..]}",
            $"stub {all} dest {Workload.CallTarget(1):x} cont 400055 site cc {@new[3..]}",
            $"stub {all} dest {Workload.CallTarget(1):x} cont 400055 site {@new}",
        ];
        Assert.Equal(expected, states);

        // The next patch finds the stub in place: only the slots and the site change.
        rig.Patch([w.Request(0, 1, 2)]);
        var again = StatesAfterEachWriterStep(rig, State);
        Assert.Equal($"stub {all} dest {Workload.CallTarget(2):x} cont 400055 site {@new}", again[1]);
        Assert.Equal(5, again.Count);
    }

    [Fact]
    public void A_trapped_cpu_is_redirected_to_the_stub_which_calls_dest_and_continues_after_the_site()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StubGlobalSlots(), w);
        var site = w.Sites[0];
        ulong stub = rig.Stubs.Slot(0);
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        var cpu = rig.Machine.Cpus[Reader];
        ulong rsp = cpu.State.Rsp;

        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);                                   // the #BP handler: regs->ip = stub, iretq
        Assert.Equal(stub, Rip(rig));
        Assert.Equal(rsp, cpu.State.Rsp);                           // nothing pushed: a redirect, not an emulation
        Assert.True(cpu.State.InterruptsEnabled);

        rig.Machine.Step(Reader);                                   // call [dest]
        Assert.Equal(Workload.CallTarget(1), Rip(rig));
        Assert.Equal(stub + 7, TopOfStack(rig));                    // the callee returns into the stub
        rig.Machine.Step(Reader);                                   // inc [counter 1]
        rig.Machine.Step(Reader);                                   // ret
        Assert.Equal(stub + 7, Rip(rig));
        rig.Machine.Step(Reader);                                   // jmp [continue]
        Assert.Equal(site.Next, Rip(rig));
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(1UL, rig.Count(1));
        Assert.Equal(0UL, rig.Count(0));
    }

    [Fact]
    public void A_task_preempted_in_the_callee_returns_into_the_stub_and_continues_after_the_other_site()
    {
        var w = Workload.Build([
            new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0),
            new SiteSpec("s1", Workload.SiteArea + 0x40, SiteKind.Call, 0),
        ]);
        var rig = new PatchRig(new StubGlobalSlots(), w, new PatchRigOptions { TasksPerCpu = 2, RecordTrace = true });
        var (s0, s1) = (w.Sites[0], w.Sites[1]);
        ulong stub = rig.Stubs.Slot(0);
        var a = rig.Machine.Tasks[0];

        // Patch 1 (s0: target 0 -> 1): task A traps, goes through the stub into target 1, and is preempted at its ret.
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(s0)[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == stub);
        StepReaderUntil(rig, () => Rip(rig) == Workload.CallTarget(1) + 8);   // the ret of target 1, after its inc
        Assert.Equal(stub + 7, TopOfStack(rig));
        Preempt(rig);
        Assert.NotSame(a, rig.Machine.CurrentTask(Reader));

        // Task B lets patch 1 finish; patch 2 (s1: target 0 -> 2) rewrites the globals.
        FinishWriter(rig);
        rig.Patch([w.Request(1, 0, 2)]);
        FinishWriter(rig);
        Assert.Equal(Workload.CallTarget(2), Word(rig, StubGlobalSlots.DestSlot));
        Assert.Equal(s1.Next, Word(rig, StubGlobalSlots.ContinueSlot));

        // Task A resumes in target 1, returns into the stub and reads the continuation patch 2 left.
        Preempt(rig);
        Assert.Same(a, rig.Machine.CurrentTask(Reader));
        Assert.Equal(Workload.CallTarget(1) + 8, Rip(rig));
        rig.Machine.Step(Reader);                                   // ret
        Assert.Equal(stub + 7, Rip(rig));
        rig.Machine.Step(Reader);                                   // jmp [continue]
        Assert.Equal(s1.Next, Rip(rig));                            // it should have gone on after s0 (0x400055)
        Assert.NotEqual(s0.Next, Rip(rig));
    }
}
