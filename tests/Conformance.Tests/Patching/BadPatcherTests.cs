using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching;

/// <summary>
/// On the rig: a plug-in that throws, writes outside mapped memory or stores stray bytes at a site
/// is stopped with an error naming the patcher, the step and the cause; the run goes on. (A plug-in
/// that hangs, grows or crashes is stopped by the worker process the command line runs it in:
/// <c>Cli/BadPluginTests</c>, through the real command line.)
/// </summary>
public class BadPatcherTests
{
    private sealed class Bad(string name, Func<PatchContext, IReadOnlyList<PatchRequest>, IEnumerable<WriterStep>> steps,
        Func<BreakpointContext, BreakpointResult>? handler = null) : IPatcher
    {
        public string Name => name;
        public string Description => "a deliberately broken plug-in";
        public string Source => "tests";
        public IReadOnlyList<Expectation> Expectations => [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => steps(context, batch);
        public BreakpointResult OnBreakpoint(BreakpointContext context) => handler?.Invoke(context) ?? BreakpointResult.Declined("none");
    }

    /// <summary>Patches one site while cpu0 loops over it: <paramref name="writerFirst"/> writer steps alone, then the two CPUs in turn.</summary>
    private static (PatchRig Rig, Workload W) Run(IPatcher patcher, int steps = 60, int writerFirst = 0)
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(patcher, w, new PatchRigOptions { RecordTrace = true }, plugin: true);
        rig.Patch([w.Request(0, 0, 1)]);
        for (int i = 0; i < writerFirst; i++) rig.Machine.Step(1);
        for (int i = 0; i < steps; i++) rig.Machine.Step(i % 2);
        return (rig, w);
    }

    private static IEnumerable<WriterStep> ThrowsAtStep2(PatchContext c, IReadOnlyList<PatchRequest> b)
    {
        yield return PatchContext.Store(b[0].Site.Address, 0xcc);
        throw new InvalidOperationException("boom");
    }

    [Fact]
    public void A_patcher_that_throws_is_stopped_with_its_name_step_and_cause_and_the_readers_go_on()
    {
        var (rig, _) = Run(new Bad("thrower", ThrowsAtStep2));
        Assert.Contains("thrower", rig.Failure);
        Assert.Contains("step 2", rig.Failure);
        Assert.Contains("InvalidOperationException", rig.Failure);
        Assert.Contains("boom", rig.Failure);
        Assert.StartsWith("failed:", rig.Machine.WriterStatus(rig.WriterCpu));
        // The machine goes on: the other CPU still steps, and the writer CPU reports idle.
        long before = rig.Machine.Steps;
        Assert.Equal(MachineStepKind.Idle, rig.Machine.Step(rig.WriterCpu));
        rig.Machine.Step(0);
        Assert.Equal(before + 2, rig.Machine.Steps);
    }

    private static IEnumerable<WriterStep> WaitsOnAThrow(PatchContext c, IReadOnlyList<PatchRequest> b)
    {
        yield return PatchContext.Store(b[0].Site.Address, 0xcc);
        yield return new WriterStep.WaitUntil("the flag", () => throw new InvalidOperationException("no flag"));
    }

    [Theory]
    [InlineData(false, "waiter threw InvalidOperationException in the condition of step 2 (wait until the flag): no flag")]
    [InlineData(true, "waiter (Conformance.Tests.dll: Conformance.Tests.Patching.BadPatcherTests+Bad) threw InvalidOperationException in a WaitUntil condition (step 2): no flag")]
    public void A_wait_whose_condition_throws_stops_the_writer_with_its_step_and_cause(bool plugin, string failure)
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new Bad("waiter", WaitsOnAThrow), w, plugin: plugin);
        rig.Patch([w.Request(0, 0, 1)]);
        for (int i = 0; i < 20; i++) rig.Machine.Step(i % 2);
        Assert.Equal(failure, rig.Failure);
        Assert.Equal(MachineStepKind.Idle, rig.Machine.Step(rig.WriterCpu));   // stopped; the readers go on
    }

    private static IEnumerable<WriterStep> WritesNowhere(PatchContext c, IReadOnlyList<PatchRequest> b)
    {
        yield return PatchContext.Store(0xdead_0000, 0xcc);
    }

    [Fact]
    public void A_patcher_that_writes_outside_mapped_memory_is_stopped()
    {
        var (rig, _) = Run(new Bad("wild-writer", WritesNowhere));
        Assert.Contains("wild-writer writer step #1", rig.Failure);
        Assert.Contains("outside mapped memory", rig.Failure);
        Assert.Contains("0xdead0000", rig.Failure);
    }

    private static IEnumerable<WriterStep> StrayBytes(PatchContext c, IReadOnlyList<PatchRequest> b)
    {
        yield return PatchContext.Store(b[0].Site.Address, 0xcc);
        yield return PatchContext.Store(b[0].Site.Address + 1, 0xff, 0xff);   // not the new rel32
    }

    [Fact]
    public void A_patcher_that_stores_bytes_that_are_not_the_new_instruction_is_stopped()
    {
        var (rig, w) = Run(new Bad("scribbler", StrayBytes));
        Assert.Contains("scribbler writer step #2", rig.Failure);
        Assert.Contains("stores 0xff at s0+1", rig.Failure);
        Assert.Equal(0xcc, rig.Bytes(w.Sites[0])[0]);   // step 1 happened; step 2 did not
        Assert.NotEqual(0xff, rig.Bytes(w.Sites[0])[1]);
    }

    [Fact]
    public void A_handler_that_throws_faults_the_trapping_cpu_naming_the_patcher()
    {
        var patcher = new Bad("bad-handler", (c, b) => new TextPokeBp().Steps(c, b), _ => throw new NullReferenceException("no vec"));
        var (rig, _) = Run(patcher, steps: 80, writerFirst: 2);   // text_mutex, int3: the reader then meets the int3
        var fault = rig.Machine.Cpus[0].State.Fault;
        Assert.NotNull(fault);
        Assert.Equal(FaultKind.HandlerDeclined, fault!.Kind);
        Assert.Contains("bad-handler", fault.Message);
        Assert.Contains("NullReferenceException", fault.Message);
        Assert.Contains("no vec", fault.Message);
    }

    [Fact]
    public void A_request_whose_new_bytes_do_not_decode_is_refused()
    {
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new TextPokeBp(), w);
        var e = Assert.Throws<ArgumentException>(() => rig.Patch([new PatchRequest(w.Sites[0], w.InstructionFor(0, 0), [0x0f, 0x0b, 0x0f, 0x0b, 0x06])]));
        Assert.Contains("not one 5-byte instruction", e.Message);
    }
}
