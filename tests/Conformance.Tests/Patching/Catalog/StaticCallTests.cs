using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using static Conformance.Tests.Patching.Catalog.CatalogDriving;

namespace Conformance.Tests.Patching.Catalog;

public class StaticCallTests
{
    [Fact]
    public void It_is_registered_and_expected_to_pass()
    {
        Assert.Equal(typeof(StaticCall), PatcherRegistry.Get("static-call").Type);
        foreach (string model in Expect.AllModels)
            Assert.Equal("pass", Declared("static-call", model, nmiMayEndStiShadow: true));
    }

    [Fact]
    public void A_ret_or_jmp_shorter_than_the_site_counts_as_one_instruction_when_padded_with_int3()
    {
        Assert.Equal(InstructionClass.Ret, Forms.Classify(Workload.SiteArea, [0xc3, 0xcc, 0xcc, 0xcc, 0xcc]));
        Assert.Equal(InstructionClass.Jmp, Forms.Classify(Workload.SiteArea, [0xeb, 0x10, 0xcc, 0xcc, 0xcc]));
        Assert.Null(Forms.Decode(Workload.SiteArea, [0xc3, 0x90, 0x90, 0x90, 0x90]));   // padding must be int3
        Assert.Null(Forms.Decode(Workload.SiteArea, [0x31, 0xc0, 0xcc, 0xcc, 0xcc]));   // only ret and jmp may be short
    }

    [Theory]
    [InlineData(SiteKind.Trampoline, 0, 1)]    // retarget the trampoline's jmp
    [InlineData(SiteKind.Trampoline, 0, -1)]   // NULL trampoline: c3 cc cc cc cc
    [InlineData(SiteKind.Call, 0, 1)]          // inline call -> call
    [InlineData(SiteKind.Call, 0, -1)]         // inline NULL: NOP5
    public void Each_site_goes_int3_then_tail_then_head(SiteKind kind, int from, int to)
    {
        var w = PatchTesting.OneSite(kind, from);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        var r = w.Request(0, from, to);
        rig.Patch([r]);
        var states = PatchTesting.SiteBytesAfterEachWriterStep(rig, w.Sites[0]);
        byte[][] expected = [r.Old, [0xcc, .. r.Old[1..]], [0xcc, .. r.New[1..]], r.New];
        Assert.Equal(PatchTesting.Hex(expected), PatchTesting.Hex(states));
        if (kind == SiteKind.Trampoline && to < 0) Assert.Equal("c3 cc cc cc cc", Forms.Hex(r.New));
        if (kind == SiteKind.Call && to < 0) Assert.Equal("0f 1f 44 00 00", Forms.Hex(r.New));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void A_cpu_trapping_on_the_trampoline_runs_its_new_jmp_or_ret(int to)
    {
        var w = PatchTesting.OneSite(SiteKind.Trampoline, 0);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        var tramp = w.Sites[0];
        rig.Patch([w.Request(0, 0, to)]);
        StepWriterUntil(rig, () => rig.Bytes(tramp)[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == tramp.Address);       // entry jmp, then the caller's call into the trampoline
        var cpu = rig.Machine.Cpus[Reader];
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(Workload.CallerArea + 5, TopOfStack(rig));
        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);                                    // the #BP handler
        if (to >= 0)
        {
            Assert.Equal(Workload.CallTarget(to), Rip(rig));          // emulated jmp: the stack as it was
            Assert.Equal(rsp, cpu.State.Rsp);
            rig.Machine.Step(Reader);
            rig.Machine.Step(Reader);
            Assert.Equal(1UL, rig.Count(to));
        }
        Assert.Equal(Workload.CallerArea + 5, Rip(rig));             // back in the caller (the NULL trampoline's emulated ret)
        Assert.Equal(rsp + 8, cpu.State.Rsp);
        Assert.Equal(0UL, rig.Count(0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void A_cpu_trapping_on_an_inline_site_runs_the_new_call_or_nop(int to)
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        var site = w.Sites[0];
        rig.Patch([w.Request(0, 0, to)]);
        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xcc);
        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        var cpu = rig.Machine.Cpus[Reader];
        ulong rsp = cpu.State.Rsp;
        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);
        if (to >= 0)
        {
            Assert.Equal(Workload.CallTarget(to), Rip(rig));
            Assert.Equal(rsp - 8, cpu.State.Rsp);
            Assert.Equal(site.Next, TopOfStack(rig));
        }
        else
        {
            Assert.Equal(site.Next, Rip(rig));
            Assert.Equal(rsp, cpu.State.Rsp);
        }
    }

    [Fact]
    public void The_return0_equivalence_is_declared()
    {
        var e = StaticCall.Return0Equivalence;
        Assert.Equal("2e 2e 2e 31 c0", Forms.Hex(e.Instruction));
        Assert.Equal("call __static_call_return0", e.EmulatedAs);
        Assert.Equal("31 c0 c3", Forms.Hex(e.Function));
        Assert.Equal("xor eax,eax", Forms.Decode(0, e.Instruction[3..])!.Value.ToString());
        Assert.Equal(InstructionClass.Other, Forms.Classify(Workload.SiteArea, e.Instruction));   // not a call: hence the declaration
    }

    [Fact]
    public void Return0_writes_the_function_before_the_int3_and_a_trapped_cpu_calls_it()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        var site = w.Sites[0];
        ulong return0 = rig.Stubs.Slot(StaticCall.Return0Slot);
        var r = new PatchRequest(site, w.InstructionFor(0, 0), StaticCall.Xor5Rax);
        rig.Patch([r]);

        StepWriterUntil(rig, () => rig.Bytes(site)[0] == 0xcc);
        Assert.Equal("31 c0 c3", Forms.Hex(Read(rig, return0, 3)));
        var stores = rig.Machine.Trace.Where(l => l.Contains("writer: store")).ToArray();
        Assert.Equal(2, stores.Length);
        Assert.Contains($"store24 0x{return0:x} <- 31c0c3", stores[0]);
        Assert.Contains($"store8 0x{site.Address:x} <- cc", stores[1]);

        StepReaderUntil(rig, () => Rip(rig) == site.Address);
        var cpu = rig.Machine.Cpus[Reader];
        ulong rsp = cpu.State.Rsp;
        cpu.State[Gpr.Rax] = 0x1234_5678_9abc_def0;
        var before = cpu.State.Clone();
        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);                                    // emulate: call __static_call_return0
        Assert.Equal(return0, Rip(rig));
        Assert.Equal(site.Next, TopOfStack(rig));
        rig.Machine.Step(Reader);                                    // xor eax,eax
        rig.Machine.Step(Reader);                                    // ret
        Assert.Equal(site.Next, Rip(rig));
        Assert.Equal(rsp, cpu.State.Rsp);
        Assert.Equal(0UL, cpu.State[Gpr.Rax]);
        var emulated = cpu.State.Clone();

        // The patched site itself, run from the same registers, ends in the same state.
        FinishWriter(rig);
        Assert.Equal(StaticCall.Xor5Rax, rig.Bytes(site));
        Array.Copy(before.Gpr, cpu.State.Gpr, 16);
        cpu.State.Rip = site.Address;
        cpu.State.Flags = before.Flags;
        rig.Machine.Step(Reader);
        Assert.Equal(site.Next, Rip(rig));
        Assert.Equal(emulated.Gpr, cpu.State.Gpr);
        Assert.Equal(emulated.Flags & RFlags.Arithmetic & ~RFlags.AF, cpu.State.Flags & RFlags.Arithmetic & ~RFlags.AF);
    }

    [Fact]
    public void A_return0_trampoline_jumps_to_the_function_written_before_its_int3()
    {
        var w = PatchTesting.OneSite(SiteKind.Trampoline, 0);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        var tramp = w.Sites[0];
        ulong return0 = rig.Stubs.Slot(StaticCall.Return0Slot);
        var r = new PatchRequest(tramp, w.InstructionFor(0, 0), Forms.Jmp(tramp.Address, return0));   // jmp __static_call_return0
        rig.Patch([r]);
        StepWriterUntil(rig, () => rig.Bytes(tramp)[0] == 0xcc);
        var stores = rig.Machine.Trace.Where(l => l.Contains("writer: store")).ToArray();
        Assert.Equal(2, stores.Length);
        Assert.Contains($"store24 0x{return0:x} <- 31c0c3", stores[0]);

        StepReaderUntil(rig, () => Rip(rig) == tramp.Address);
        var cpu = rig.Machine.Cpus[Reader];
        cpu.State[Gpr.Rax] = 7;
        Assert.Equal(MachineStepKind.Trap, rig.Machine.Step(Reader));
        rig.Machine.Step(Reader);                                    // emulated jmp __static_call_return0
        Assert.Equal(return0, Rip(rig));
        rig.Machine.Step(Reader);
        rig.Machine.Step(Reader);
        Assert.Equal(Workload.CallerArea + 5, Rip(rig));
        Assert.Equal(0UL, cpu.State[Gpr.Rax]);
    }

    [Fact]
    public void The_trampoline_is_patched_before_the_inline_site()
    {
        var w = Workload.Build([
            new SiteSpec("tramp", Workload.SiteArea + 0x10, SiteKind.Trampoline, 0),
            new SiteSpec("site", Workload.SiteArea + 0x40, SiteKind.Call, 0),
        ]);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        rig.Patch([w.Request(1, 0, 2), w.Request(0, 0, 2)]);
        FinishWriter(rig);
        var int3s = rig.Machine.Trace.Where(l => l.Contains("<- cc")).ToArray();
        Assert.Equal(2, int3s.Length);
        Assert.Contains($"0x{w.Sites[0].Address:x} <- cc", int3s[0]);
        Assert.Contains($"0x{w.Sites[1].Address:x} <- cc", int3s[1]);
        Assert.Equal(w.InstructionFor(0, 2), rig.Bytes(w.Sites[0]));
        Assert.Equal(w.InstructionFor(1, 2), rig.Bytes(w.Sites[1]));
        Assert.Equal(6, rig.Machine.Trace.Count(l => l.Contains("sync_core complete")));   // one text_poke_bp (3 syncs) each
    }

    [Fact]
    public void A_site_that_already_holds_the_new_bytes_is_left_alone()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 1);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        rig.Patch([w.Request(0, 0, 1)]);                             // memcmp(insn, code, size) == 0
        FinishWriter(rig);
        Assert.DoesNotContain(rig.Machine.Trace, l => l.Contains("writer: store") || l.Contains("sync_core"));
    }

    [Fact]
    public void A_trampoline_without_its_signature_stops_the_patch()
    {
        var w = PatchTesting.OneSite(SiteKind.Trampoline, 0);
        var rig = PatchTesting.Rig(new StaticCall(), w);
        Assert.Equal("0f b9 cc", Forms.Hex(Read(rig, w.Sites[0].Next, 3)));
        rig.Machine.Memory.Poke(w.Sites[0].Next, [0x53, 0x43, 0x54]);   // the older "SCT" signature: not this kernel's
        rig.Patch([w.Request(0, 0, 1)]);
        PatchTesting.StepWriterPastLock(rig);
        Assert.Contains("trampoline signature fail", rig.Failure);
        Assert.Equal(w.InstructionFor(0, 0), rig.Bytes(w.Sites[0]));
    }
}
