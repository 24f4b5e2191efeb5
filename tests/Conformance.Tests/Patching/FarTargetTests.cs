using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching;

/// <summary>
/// Targets from <see cref="Workload.FirstFarTarget"/> on live in the far text, so a retarget can
/// change every byte of a rel32, as a real one does. With only near targets (0x404 apart) the two
/// high bytes of a rel32 never change, and a tear between them is invisible: a false pass for every
/// layout whose fetch-unit boundary falls after the third byte of a call.
/// </summary>
public class FarTargetTests
{
    [Fact]
    public void A_rel32_to_a_far_target_differs_from_one_to_a_near_target_in_every_byte()
    {
        for (ulong offset = 0; offset < 64; offset++)
        {
            ulong site = Workload.SiteArea + offset;
            for (int near = 0; near < Workload.FirstFarTarget; near++)
            {
                var a = Forms.Call(site, Workload.CallTarget(near));
                var b = Forms.Call(site, Workload.CallTarget(Workload.FirstFarTarget));
                for (int i = 1; i < 5; i++) Assert.True(a[i] != b[i], $"site 0x{site:x}, target {near}: rel32 byte {i} is {a[i]:x2} in both");
            }
        }
        Assert.True(Workload.InCode(Workload.CallTarget(3)));
        Assert.False(Workload.InCode(Workload.CallTarget(3) - Workload.FarDistance + 0x1_0000));
    }

    /// <summary>
    /// aligned-rel32 stores the rel32 in one 4-byte store; its call sits at line offset 13, so under
    /// block16 the first block holds the rel32's bytes 1-2 and the next one bytes 3-4 (class s16@3).
    /// </summary>
    private static bool FoundTear(int to)
    {
        var shape = new ScheduleShape(Cpus: 2, Steps: 120, MaxFetchChoice: 3, FetchChoices: 24);
        for (ulong seed = 0; seed < 300; seed++)
        {
            var c = new PatchCase([new SiteSpec("s0", Workload.SiteArea + 13, SiteKind.Call, 0)], [[new PlannedChange(0, 0, to)]], 2,
                new UniformRandomStrategy().Create(seed, shape)) { Targets = 4 };
            var result = PatchCheck.Run(() => new AlignedRel32(), FetchModelRegistry.Get("block16"), c);
            if (result.Violations.Any(v => v.Property == OldNewOrTrap.Id)) return true;
        }
        return false;
    }

    [Fact]
    public void A_tear_after_the_third_byte_shows_only_when_the_high_bytes_change()
    {
        Assert.False(FoundTear(to: 1));   // near: bytes 3-4 are the same in old and new, nothing can mix
        Assert.True(FoundTear(to: 3));    // far: every byte changes, and a fetch reads the two blocks at different moments
    }
}
