using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.PluginExample;

/// <summary>A user's test: run my patcher on the suite's machine while another CPU calls through the site.</summary>
public class MyRetargetPatcherTests
{
    [Fact]
    public void My_patcher_retargets_a_live_call_site()
    {
        var workload = Workload.Build([new SiteSpec("site", Workload.SiteArea + 0x3e, SiteKind.Call, Target: 0)]);
        var rig = new PatchRig(new MyRetargetPatcher(), workload, new PatchRigOptions { Cpus = 2, FetchModel = new Block16Fetch() }, isPlugin: true);
        rig.Patch([workload.Request(site: 0, from: 0, to: 1)]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 400));

        Assert.Null(rig.Failure);
        Assert.True(rig.Machine.WritersDone);
        Assert.Equal(workload.InstructionFor(0, 1), rig.Bytes(workload.Sites[0]));
        Assert.True(rig.Count(1) > 0, "the new target was called");
        Assert.Null(rig.Machine.Cpus[0].State.Fault);
    }

    [Fact]
    public void The_suite_discovers_my_patcher_in_my_assembly()
    {
        var found = PatcherRegistry.Discover(typeof(MyRetargetPatcher).Assembly, isPlugin: true);
        var mine = Assert.Single(found);
        Assert.Equal("my-retarget", mine.Name);
        Assert.True(mine.IsPlugin);
    }
}
