using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>Issue 13, item 7: the active batch a #BP handler sees can be the patcher's own, published and retracted.</summary>
public class ActiveBatchTests
{
    [Fact]
    public void A_patcher_that_publishes_its_batch_retracts_it_and_the_rig_forgets_it()
    {
        var patcher = new PublishingPatcher();
        var workload = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = new PatchRig(patcher, workload, new PatchRigOptions());
        rig.Patch([workload.Request(0, 0, 1)]);
        Assert.Empty(rig.Active);   // nothing is published before its steps run
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 400));
        Assert.True(rig.Machine.WritersDone);
        Assert.Empty(rig.Active);
        Assert.All(patcher.ActiveSeen, n => Assert.Equal(1, n));
    }

    [Fact]
    public void The_rig_publishes_for_a_patcher_that_does_not_and_keeps_the_last_batch()
    {
        var workload = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = new PatchRig(new TextPokeBp(), workload, new PatchRigOptions());
        var request = workload.Request(0, 0, 1);
        rig.Patch([request]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 400));
        Assert.Equal([request], rig.Active);
    }

    [Theory]
    [InlineData("atomic")]
    [InlineData("architectural")]
    public void The_publishing_patcher_passes_with_concurrent_patches(string model)
    {
        for (ulong seed = 0; seed < 30; seed++)
        {
            var c = new PatchCase([new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 3,
                new UniformRandomStrategy().Create(seed, new ScheduleShape(Cpus: 3, Steps: 200, MaxFetchChoice: 3, FetchChoices: 24)))
            { Concurrent = [new PlannedChange(0, 0, 2)] };
            var result = PatchCheck.Run(() => new PublishingPatcher(), FetchModelRegistry.Get(model), c);
            Assert.True(result.Passed, $"seed {seed}: {result.First}");
        }
    }
}
