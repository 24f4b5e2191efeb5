using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>Issue 13, item 7: a holding instruction at an offset other than 0 in the site.</summary>
public class HoldingOffsetTests
{
    /// <summary>Declares <c>eb fe</c> (a jmp-to-self spin) at the given offset (test-only).</summary>
    private sealed class Holder(int offset) : IPatcher
    {
        public string Name => "test-holder";
        public string Description => "declares a spin at an offset (test-only)";
        public string Source => "tests";
        public IReadOnlyList<Expectation> Expectations { get; } = [];
        public IReadOnlyList<HoldingInstruction> HoldingAt { get; } = [new HoldingInstruction([0xeb, 0xfe], offset)];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) =>
            [PatchContext.Store(batch[0].Site.Address + 2, 0xeb, 0xfe)];
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("none");
    }

    private static readonly Workload Workload1 = PatchTesting.OneSite(SiteKind.Call, 0);
    private static PatchRequest Request => Workload1.Request(0, 0, 1);

    private static FetchRecord SpinFetch(int offset) =>
        new(0, 5, Request.Site.Address + (ulong)offset, [0xeb, 0xfe], [new FetchUnit(Request.Site.Address, Request.Site.Next, 5)], null);

    [Fact]
    public void A_fetch_of_the_spin_at_its_declared_offset_is_allowed()
    {
        Assert.Null(OldNewOrTrap.Check(SpinFetch(2), [Request], new Holder(2)));
    }

    [Fact]
    public void The_same_spin_declared_at_offset_0_does_not_cover_offset_2()
    {
        var v = OldNewOrTrap.Check(SpinFetch(2), [Request], new Holder(0));
        Assert.NotNull(v);
        Assert.Contains("torn decode at s0+2", v!.Message);
    }

    [Fact]
    public void The_write_guard_takes_the_spin_bytes_at_their_offset_only()
    {
        var ok = new PatchRig(new Holder(2), Workload1, new PatchRigOptions());
        ok.Patch([Request]);
        ok.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 4));
        Assert.Null(ok.Failure);

        var refused = new PatchRig(new Holder(0), Workload1, new PatchRigOptions());
        refused.Patch([Request]);
        refused.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 4));
        Assert.Contains("stores 0xeb at s0+2", refused.Failure);
    }
}
