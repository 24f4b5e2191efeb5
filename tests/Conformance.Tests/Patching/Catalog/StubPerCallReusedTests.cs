using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class StubPerCallReusedTests
{
    [Fact]
    public void It_is_registered_and_expected_to_fail_by_stub_reuse_under_every_model()
    {
        Assert.Equal(typeof(StubPerCallReused), PatcherRegistry.Get("stub-per-call-reused").Type);
        foreach (string model in Expect.AllModels)
            foreach (bool nmi in new[] { false, true })
                Assert.Equal("fail (ReusedStub)", Declared("stub-per-call-reused", model, nmi));
    }

    [Fact]
    public void The_stub_is_push_imm32_then_jmp_rel32()
    {
        byte[] stub = StubCode.PushJmp(Workload.StubBase, 0x40_0055, Workload.CallTarget(1));
        // 68 imm32: push 0x400055 (sign-extended); e9 rel32 at stub+5 to target 1.
        Assert.Equal("68 55 00 40 00 " + Forms.Hex(Forms.Jmp(Workload.StubBase + 5, Workload.CallTarget(1))), Forms.Hex(stub));
        Assert.Equal(0xe9, stub[5]);
        Assert.Throws<ArgumentException>(() => StubCode.PushImm32(0x8000_0000));
    }

    [Fact]
    public void Steps_write_the_stub_sync_then_int3_tail_head_and_the_next_patch_reuses_the_slot()
    {
        var w = Workload.Build([
            new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0),
            new SiteSpec("s1", Workload.SiteArea + 0x40, SiteKind.Call, 0),
        ]);
        var rig = PatchTesting.Rig(new StubPerCallReused(), w);
        ulong stub = rig.Stubs.Slot(StubPerCallReused.StubSlot);
        Assert.Equal(Workload.StubBase, stub);
        string State() => $"stub {Forms.Hex(Read(rig, stub, 10))} s0 {Forms.Hex(rig.Bytes(w.Sites[0]))}";
        var r = w.Request(0, 0, 1);
        rig.Patch([r]);
        var states = StatesAfterEachWriterStep(rig, State);
        string push = "68 55 00 40 00", jmp = Forms.Hex(Forms.Jmp(stub + 5, Workload.CallTarget(1)));
        string old = Forms.Hex(r.Old), @new = Forms.Hex(r.New);
        string[] expected =
        [
            $"stub 00 00 00 00 00 00 00 00 00 00 s0 {old}",
            $"stub {push} 00 00 00 00 00 s0 {old}",
            $"stub {push} {jmp} s0 {old}",
            $"stub {push} {jmp} s0 cc {old[3..]}",
            $"stub {push} {jmp} s0 cc {@new[3..]}",
            $"stub {push} {jmp} s0 {@new}",
        ];
        Assert.Equal(expected, states);
        var trace = string.Join("\n", rig.Machine.Trace.Where(l => l.Contains("writer:")));
        Assert.True(trace.IndexOf("sync_core: IPI") < trace.IndexOf("<- cc"), trace);   // the stub is synced before the int3

        rig.Patch([w.Request(1, 0, 2)]);
        StatesAfterEachWriterStep(rig, State);
        Assert.Equal(Forms.Hex(StubCode.PushJmp(stub, w.Sites[1].Next, Workload.CallTarget(2))), Forms.Hex(Read(rig, stub, 10)));
    }

    [Fact]
    public void A_trapped_cpu_runs_the_stub_which_calls_the_new_target_and_returns_after_the_site()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StubPerCallReused(), w);
        var site = w.Sites[0];
        ulong stub = rig.Stubs.Slot(0);
        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        var cpu = rig.Machine.Cpus[Reader];
        ulong rsp = cpu.State.Rsp;

        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);                                   // #BP handler: regs->ip = stub
        Assert.Equal(stub, Rip(rig));
        Assert.Equal(rsp, cpu.State.Rsp);
        rig.Machine.Step(Reader);                                   // push $site.Next
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, TopOfStack(rig));
        rig.Machine.Step(Reader);                                   // jmp target 1
        Assert.Equal(Workload.CallTarget(1), Rip(rig));
        rig.Machine.Step(Reader);                                   // inc
        rig.Machine.Step(Reader);                                   // ret
        Assert.Equal(site.Next, Rip(rig));
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(1UL, rig.Count(1));
        Assert.Equal(0UL, rig.Count(0));
    }

    [Fact]
    public void A_task_preempted_after_the_push_resumes_in_the_reused_stub_and_calls_the_other_sites_target()
    {
        var (rig, w, a) = PreemptInStubThenPatchTheOtherSite(afterPush: true);
        ulong stub = rig.Stubs.Slot(0);
        Assert.Equal(stub + 5, Rip(rig));
        Assert.Equal(w.Sites[0].Next, TopOfStack(rig));            // its own return address was pushed before the preemption
        rig.Machine.Step(Reader);                                   // the jmp of the rewritten stub
        Assert.Equal(Workload.CallTarget(2), Rip(rig));             // s0 only ever called targets 0 and 1
        rig.Machine.Step(Reader);
        rig.Machine.Step(Reader);
        Assert.Equal(w.Sites[0].Next, Rip(rig));
        Assert.Same(a, rig.Machine.CurrentTask(Reader));
    }

    [Fact]
    public void A_task_preempted_before_the_push_resumes_in_the_reused_stub_and_returns_after_the_other_site()
    {
        var (rig, w, _) = PreemptInStubThenPatchTheOtherSite(afterPush: false);
        ulong stub = rig.Stubs.Slot(0);
        Assert.Equal(stub, Rip(rig));
        rig.Machine.Step(Reader);                                   // push: the other site's return address
        Assert.Equal(w.Sites[1].Next, TopOfStack(rig));
        rig.Machine.Step(Reader);                                   // jmp: the other site's target
        Assert.Equal(Workload.CallTarget(2), Rip(rig));
        rig.Machine.Step(Reader);
        rig.Machine.Step(Reader);
        Assert.Equal(w.Sites[1].Next, Rip(rig));                    // it never returns after s0
    }

    /// <summary>
    /// Two sites, two tasks on cpu0. Patch 1 (s0: target 0 -> 1): task A traps and is redirected to
    /// the stub; a preempting timer switches it out inside the stub (before or after its push).
    /// Task B lets patch 1 finish, then patch 2 (s1: target 0 -> 2) rewrites the same slot. A second
    /// preemption resumes task A where it was, in the stub.
    /// </summary>
    private static (PatchRig Rig, Workload W, MachineTask A) PreemptInStubThenPatchTheOtherSite(bool afterPush)
    {
        var w = Workload.Build([
            new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0),
            new SiteSpec("s1", Workload.SiteArea + 0x40, SiteKind.Call, 0),
        ]);
        var rig = new PatchRig(new StubPerCallReused(), w, new PatchRigOptions { TasksPerCpu = 2, RecordTrace = true });
        ulong stub = rig.Stubs.Slot(0);
        var a = rig.Machine.Tasks[0];

        rig.Patch([w.Request(0, 0, 1)]);
        StepWriterUntil(rig, () => rig.Bytes(w.Sites[0])[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == stub);
        if (afterPush) rig.Machine.Step(Reader);
        Assert.Equal(afterPush ? stub + 5 : stub, Rip(rig));
        Preempt(rig);
        Assert.NotSame(a, rig.Machine.CurrentTask(Reader));
        Assert.Equal(afterPush ? stub + 5 : stub, FrameRip(rig, a));   // suspended inside the stub

        FinishWriter(rig);
        rig.Patch([w.Request(1, 0, 2)]);
        FinishWriter(rig);
        Assert.Equal(Forms.Hex(StubCode.PushJmp(stub, w.Sites[1].Next, Workload.CallTarget(2))), Forms.Hex(Read(rig, stub, 10)));

        Preempt(rig);
        Assert.Same(a, rig.Machine.CurrentTask(Reader));
        return (rig, w, a);
    }

    /// <summary>Where a switched-out task resumes: the RIP of the frame its saved RSP points at.</summary>
    private static ulong FrameRip(PatchRig rig, MachineTask task) => Word(rig, task.Registers[(int)Conformance.Emulation.Gpr.Rsp]);
}
