using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.ApiGaps;

/// <summary>Issue 13, item 7: a test chooses a site's instructions (any bytes for any kind; a call that becomes a jmp).</summary>
public class SiteFormTests
{
    private static PatchCase Case(SiteSpec spec, int from, int to, ulong seed) =>
        new([spec], [[new PlannedChange(0, from, to)]], 2, new UniformRandomStrategy().Create(seed, new ScheduleShape(Cpus: 2, Steps: 160, MaxFetchChoice: 3, FetchChoices: 24)));

    [Fact]
    public void A_call_site_becomes_a_jmp_under_text_poke_bp()
    {
        var spec = new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0) { Forms = [SiteForm.Call(0), SiteForm.Jmp(1)] };
        var workload = Workload.Build([spec]);
        Assert.Equal(InstructionClass.Jmp, Forms.Classify(workload.Sites[0].Address, workload.Request(0, 0, 1).New));
        for (ulong seed = 0; seed < 40; seed++)
        {
            var result = PatchCheck.Run(() => new TextPokeBp(), new Block16Fetch(), Case(spec, 0, 1, seed));
            Assert.True(result.Passed, $"seed {seed}: {result.First}");
        }
    }

    [Fact]
    public void The_pre_2019_handler_is_caught_on_call_to_jmp()
    {
        // NOP semantics in the handler: a visit that traps goes on after the site, neither the call nor the jmp.
        var spec = new SiteSpec("s0", Workload.SiteArea + 0x3e, SiteKind.Call, 0) { Forms = [SiteForm.Call(0), SiteForm.Jmp(1)] };
        bool caught = false;
        for (ulong seed = 0; seed < 200 && !caught; seed++)
            caught = !PatchCheck.Run(() => new TextPokeBpPre2019(), new AtomicFetch(), Case(spec, 0, 1, seed)).Passed;
        Assert.True(caught);
    }

    [Fact]
    public void Raw_bytes_are_any_instruction_of_the_site_length()
    {
        var spec = new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Short, 0) { Forms = [SiteForm.Of(0x8b, 0xff), SiteForm.Of(0x66, 0x90)] };
        var request = Workload.Build([spec]).Request(0, 0, 1);
        Assert.Equal("8b ff", Forms.Hex(request.Old));
        Assert.Equal("66 90", Forms.Hex(request.New));
        var tooLong = spec with { Forms = [SiteForm.Of(0x8b, 0xff), SiteForm.Of(0x0f, 0x1f, 0x00)] };
        Assert.Contains("is 3 bytes; a Short site is 2", Assert.Throws<ArgumentException>(() => Workload.Build([tooLong])).Message);
    }
}
