using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>Issue 13, item 7: an interlocked compare-and-exchange store step.</summary>
public class CompareExchangeTests
{
    private static (PatchRig Rig, Workload Workload) Rig(IPatcher patcher)
    {
        var workload = PatchTesting.OneSite(SiteKind.Call, 0);   // at SiteArea + 0x10: 8-byte aligned
        return (new PatchRig(patcher, workload, new PatchRigOptions { RecordTrace = true }), workload);
    }

    [Fact]
    public void An_exchange_that_finds_the_expected_bytes_stores_the_new_ones_as_one_event()
    {
        var patcher = new CmpxchgPatcher();
        var (rig, workload) = Rig(patcher);
        rig.Patch([workload.Request(0, 0, 1)]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 50));
        var x = Assert.Single(patcher.Exchanges);
        Assert.True(x.Succeeded);
        Assert.Equal(workload.InstructionFor(0, 0), x.Observed![..5]);
        Assert.Equal(workload.InstructionFor(0, 1), rig.Bytes(workload.Sites[0]));
        var store = Assert.Single(rig.Machine.Events.OfType<WriterStored>());
        Assert.Equal(8, store.Bytes.Length);
    }

    [Fact]
    public void An_exchange_that_finds_other_bytes_stores_nothing_and_says_what_it_found()
    {
        var workload = PatchTesting.OneSite(SiteKind.Call, 0);
        var request = workload.Request(0, 0, 1);
        var x = new WriterStep.CompareExchange(request.Site.Address, [1, 2, 3, 4], request.New[..4]);
        var rig = new PatchRig(new StepsPatcher(x), workload, new PatchRigOptions { RecordTrace = true });
        var before = rig.Bytes(workload.Sites[0]);
        rig.Patch([request]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 10));
        Assert.False(x.Succeeded);
        Assert.Equal(before[..4], x.Observed);
        Assert.Equal(before, rig.Bytes(workload.Sites[0]));
        Assert.Contains(rig.Machine.Events.OfType<WriterAction>(), e => e.What.Contains($"failed, found {Convert.ToHexString(before[..4]).ToLowerInvariant()}"));
    }

    [Fact]
    public void An_exchange_across_a_cache_line_stops_the_patcher_with_the_reason()
    {
        var workload = PatchTesting.OneSite(SiteKind.Call, 0, PatchTesting.StraddlingSite);
        var request = workload.Request(0, 0, 1);
        var x = new WriterStep.CompareExchange(request.Site.Address, request.Old[..4], request.New[..4]);   // 0x7e..0x81: crosses 0x80
        var rig = new PatchRig(new StepsPatcher(x), workload, new PatchRigOptions());
        rig.Patch([request]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 10));
        Assert.Contains("crosses a 64-byte line", rig.Failure);
    }

    [Fact]
    public void The_exchanged_bytes_pass_the_properties_under_atomic_fetch()
    {
        var c = new PatchCase([new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 2, Schedule.RoundRobin(2, 60));
        var result = PatchCheck.Run(() => new CmpxchgPatcher(), new AtomicFetch(), c);
        Assert.True(result.Passed, result.First?.ToString());
    }

    /// <summary>Yields the given steps, whatever the batch (test-only).</summary>
    public sealed class StepsPatcher(params WriterStep[] steps) : IPatcher
    {
        public StepsPatcher() : this([]) { }
        public string Name => "test-steps";
        public string Description => "yields fixed steps (test-only)";
        public string Source => "tests";
        public IReadOnlyList<Expectation> Expectations { get; } = [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => steps;
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("none");
    }
}
