using Conformance.Checking;
using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class KprobeTests
{
    [Fact]
    public void It_is_registered_and_expected_to_pass_in_every_model()
    {
        Assert.Equal(typeof(Kprobe), PatcherRegistry.Get("kprobe").Type);
        foreach (string model in Expect.AllModels)
            Assert.Equal("pass", Declared("kprobe", model, nmiMayEndStiShadow: true));
    }

    [Fact]
    public void Branches_are_emulated_and_the_rest_copied_out_of_line_with_a_jmp_back()
    {
        var p = new Kprobe();
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        Assert.True(p.Emulates(site, w.InstructionFor(0, 0)));            // call rel32: kprobe_emulate_call
        Assert.False(p.Emulates(site, Forms.Nop5));                        // boostable: runs in the slot
        ulong slot = Workload.StubBase;
        Assert.Equal([.. Forms.Nop5, .. Forms.Jmp(slot + 5, site.Next)], Kprobe.OutOfLine(site, Forms.Nop5, slot));
        Assert.Equal([0x66, 0x90, .. Forms.Jmp(slot + 2, Workload.SiteArea + 0x12)],
            Kprobe.OutOfLine(PatchTesting.OneSite(SiteKind.Short, -1).Sites[0], Forms.Nop2, slot));
    }

    [Fact]
    public void The_slot_is_written_before_the_int3_and_the_site_goes_int3_then_tail_then_head()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1, PatchTesting.StraddlingSite);
        var rig = PatchTesting.Rig(new Kprobe(), w);
        var r = w.Request(0, -1, 1);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        var lines = BreakpointVisit.WriterLines(rig);
        Assert.Contains($"0x{rig.Stubs.Slot(0):x}", lines.First(l => l.Contains("store")));
        Assert.Equal([.. Forms.Nop5, .. Forms.Jmp(rig.Stubs.Slot(0) + 5, w.Sites[0].Next)], BreakpointVisit.Bytes(rig, rig.Stubs.Slot(0), 10));
    }

    [Fact]
    public void A_cpu_trapping_on_a_nop_runs_its_copy_in_the_slot_and_jumps_back()
    {
        var w = PatchTesting.OneSite(SiteKind.Nop5, -1);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Kprobe(), w);
        rig.Patch([w.Request(0, -1, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());                     // the handler: RIP = the slot, iretq
        Assert.Equal(rig.Stubs.Slot(0), cpu.State.Rip);
        Assert.Equal(StepResult.Retired, cpu.Step());                     // the copied NOP5
        Assert.Equal(StepResult.Retired, cpu.Step());                     // jmp site+5
        Assert.Equal(site.Next, cpu.State.Rip);
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(0UL, rig.Count(1));                                  // the original ran: no call
    }

    [Fact]
    public void A_cpu_trapping_on_a_call_runs_the_original_call_emulated_with_the_sites_return_address()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Kprobe(), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(StepResult.Trapped, cpu.Step());
        Assert.Equal(StepResult.Retired, cpu.Step());
        Assert.Equal(Workload.CallTarget(0), cpu.State.Rip);              // the old target
        Assert.Equal(rsp - 8, cpu.State.Rsp);
        Assert.Equal(site.Next, BreakpointVisit.Word(rig, cpu.State.Rsp));
    }

    [Fact]
    public void A_call_copied_out_of_line_pushes_the_slots_address_and_the_suite_finds_it()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var site = w.Sites[0];
        var rig = PatchTesting.Rig(new Kprobe(copyBranchesOutOfLine: true), w);
        rig.Patch([w.Request(0, 0, 1)]);
        var cpu = BreakpointVisit.ArmAndReach(rig, site);
        cpu.Step();
        cpu.Step();
        Assert.Equal(rig.Stubs.Slot(0), cpu.State.Rip);
        cpu.Step();                                                       // the relocated call: right target, wrong return address
        Assert.Equal(Workload.CallTarget(0), cpu.State.Rip);
        Assert.Equal(rig.Stubs.Slot(0) + 5, BreakpointVisit.Word(rig, cpu.State.Rsp));

        // The random search finds it too: P2, the word at RSP is not the return address.
        var found = Enumerable.Range(0, 40).Select(seed =>
        {
            var c = new PatchCase([new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 2,
                new UniformRandomStrategy().Create((ulong)seed, new ScheduleShape(Cpus: 2, Steps: 200, MaxFetchChoice: 3, FetchChoices: 24)));
            return PatchCheck.Run(() => new Kprobe(copyBranchesOutOfLine: true), FetchModelRegistry.Get("atomic"), c).First;
        }).FirstOrDefault(v => v is not null);
        Assert.NotNull(found);
        Assert.Equal(EquivalentEffect.Id, found.Property);
        Assert.Contains("not the return address", found.Message);
        // The kernel's way (emulate the call) passes the same cases.
        for (ulong seed = 0; seed < 40; seed++)
        {
            var c = new PatchCase([new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 2,
                new UniformRandomStrategy().Create(seed, new ScheduleShape(Cpus: 2, Steps: 200, MaxFetchChoice: 3, FetchChoices: 24)));
            var result = PatchCheck.Run(() => new Kprobe(), FetchModelRegistry.Get("atomic"), c);
            Assert.True(result.Passed, $"seed {seed}: {result.First}");
        }
    }
}
