using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Support;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>Issue 11, item 4: a store into code the patch does not own is a named violation, found at the store.</summary>
public class OutsideWriteTests
{
    private static PatchCase OneCall(ulong seed) =>
        new([new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 2,
            new UniformRandomStrategy().Create(seed, new ScheduleShape(Cpus: 2, Steps: 120)));

    [Fact]
    public void A_ret_stored_over_a_call_target_is_patcher_wrote_outside_at_the_store()
    {
        var result = PatchCheck.Run(() => new RetOverCallTarget(), new AtomicFetch(), OneCall(1), recordTrace: true);
        var first = result.First!;
        Assert.Equal(OwnerMap.Violation, first.Property);
        // Found at the store: the patcher's second step (after taking text_mutex), not at the end of the run.
        Assert.True(first.Step < 10, $"found at step {first.Step}");
        Assert.True(first.Step < result.Steps);
        Assert.Contains("stores c3 at 0x404000", first.Message);
        Assert.Contains("owner map: [0x400040", first.Message.Replace("0x40007e", "0x400040"));   // the site is in the owner map
        Assert.Contains("s0 (site)", first.Message);
        Assert.Contains("stubs", first.Message);
    }

    [Fact]
    public void The_refused_store_never_reaches_memory()
    {
        var workload = PatchTesting.OneSite(SiteKind.Call, 0);
        var rig = PatchTesting.Rig(new RetOverCallTarget(), workload);
        rig.Patch([workload.Request(0, 0, 1)]);
        rig.Machine.Run(Schedule.RoundRobin(cpus: 2, rounds: 50));
        Assert.NotNull(rig.WroteOutside);
        Assert.Equal(Workload.CallTarget(0), rig.WroteOutside!.Address);
        var target = new byte[1];
        rig.Machine.Memory.ReadCurrent(Workload.CallTarget(0), target);
        Assert.NotEqual(0xc3, target[0]);
    }

    [Fact]
    public void A_correct_patcher_owns_every_byte_it_stores()
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            var result = PatchCheck.Run(() => new Conformance.Patching.Catalog.TextPokeBp(), new AtomicFetch(), OneCall(seed));
            Assert.DoesNotContain(result.Violations, v => v.Property == OwnerMap.Violation);
        }
        // The 8-byte scheme writes back the bytes after its site: it declares them, so they are its own.
        var aligned = new PatchCase([new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 2, Schedule.RoundRobin(2, 40));
        Assert.DoesNotContain(PatchCheck.Run(() => new Conformance.Patching.Catalog.Atomic8Byte(), new AtomicFetch(), aligned).Violations, v => v.Property == OwnerMap.Violation);
    }

    [Fact]
    public void Check_with_the_plugin_fails_where_it_used_to_pass()
    {
        string plugin = typeof(RetOverCallTarget).Assembly.Location;
        var (exit, output, error) = CliProcess.Run("check", "--plugin", plugin, "--patcher", "test-ret-over-call-target", "--model", "atomic",
            "--runs", "10", "--emulator-runs", "0", "--failure-db", "off");
        Assert.True(exit == 1, $"exit {exit}: {output}{error}");
        Assert.Contains(OwnerMap.Violation, output);
    }
}
