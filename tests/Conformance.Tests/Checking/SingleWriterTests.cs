using Conformance.Checking;
using Conformance.Generators;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Checking;

/// <summary>
/// P5, single writer: two patches of one site at once (the second on cpu0, sharing it with the
/// reader task) end as one of their new instructions only if the patcher serializes them
/// (text_mutex). Without the lock, interleaved tails and heads leave a mix.
/// </summary>
public class SingleWriterTests
{
    private static readonly SiteSpec Site = new("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0);

    /// <summary>
    /// cpu1 patches the call to a NOP, cpu0's patching thread (switched in by its first two steps)
    /// patches it to call target 2; the schedule interleaves their int3s, tails and heads so that
    /// cpu0's first byte comes before cpu1's: cpu1's 0f lands on cpu0's rel32.
    /// </summary>
    private static PatchCase Interleaved() => new(
        [Site], [[new PlannedChange(0, 0, -1)]], 2,
        new Schedule([
            new ScheduleRun(0, 2),                           // preempting timer delivered, handler: the patching thread takes cpu0
            new ScheduleRun(1, 1), new ScheduleRun(0, 1),    // int3, int3
            new ScheduleRun(1, 2), new ScheduleRun(0, 2),    // each sync: sent, complete (the other CPU runs no x86 code)
            new ScheduleRun(1, 1), new ScheduleRun(0, 1),    // tail (NOP), tail (rel32 to target 2)
            new ScheduleRun(1, 2), new ScheduleRun(0, 2),    // syncs
            new ScheduleRun(0, 1), new ScheduleRun(1, 1),    // head e8, then head 0f
        ], [], []))
    {
        Concurrent = [new PlannedChange(0, 0, 2)],
    };

    [Fact]
    public void Without_text_mutex_the_interleaved_patches_leave_a_mix_and_P5_names_each_bytes_writer()
    {
        var result = PatchCheck.Run(() => new TextPokeBpWithoutTextMutex(), new AtomicFetch(), Interleaved(), recordTrace: true);
        var p5 = Assert.Single(result.Violations, v => v.Property == PatchCheck.SingleWriter);
        Assert.Contains("ends holding 0f ", p5.Message);
        Assert.Contains("a b b = =", p5.Message);   // cpu1 0f over cpu0 rel32; both end in 00 00
    }

    [Fact]
    public void With_text_mutex_the_same_schedule_serializes_them_and_the_site_ends_as_one_new_instruction()
    {
        var result = PatchCheck.Run(() => new TextPokeBp(), new AtomicFetch(), Interleaved(), recordTrace: true);
        Assert.True(result.Passed, string.Join("\n", result.Violations));
        Assert.Contains(result.Trace, l => l.Contains("lock text_mutex: must wait"));
    }

    /// <summary>The generator finds and shrinks a P5 counterexample for the unlocked mutant, and none for text-poke-bp.</summary>
    [Theory]
    [InlineData(typeof(TextPokeBpWithoutTextMutex), false)]
    [InlineData(typeof(TextPokeBp), true)]
    public void Generated_concurrent_patches_find_the_mix_only_without_the_lock(Type patcher, bool passes)
    {
        var probe = (IPatcher)Activator.CreateInstance(patcher)!;
        IReadOnlyList<string> SingleWriterViolations(PatchCaseGenome g) =>
            PatchCheck.Run(() => (IPatcher)Activator.CreateInstance(patcher)!, new AtomicFetch(), PatchCaseRealizer.Realize(g, probe))
                .Violations.Where(v => v.Property == PatchCheck.SingleWriter).Select(v => v.ToString()).ToArray();
        // The search for the mix stops at the first; the correct patcher gets fewer cases to survive.
        var outcome = PropertyRunner.Run($"P5 for {probe.Name}", PatchCaseGen.Arbitrary(3), SingleWriterViolations,
            new PropertySettings(passes ? 300 : 3000, PropertySettings.DefaultSeed, PropertySettings.DefaultGamma, EndSize: 50),
            describe: g => PatchCaseRealizer.Realize(g, probe).ToString());
        TestContext.Current.TestOutputHelper?.WriteLine($"{probe.Name}: {(outcome.Passed ? "passed" : "failed")} after {outcome.Tests} case(s); shrunk: " +
            (outcome.Shrunk is PatchCaseGenome g ? PatchCaseRealizer.Realize(g, probe).ToString() : "none"));
        Assert.Equal(passes, outcome.Passed);
        if (!passes)
        {
            var shrunk = Assert.IsType<PatchCaseGenome>(outcome.Shrunk);
            Assert.Contains(shrunk.Sites, s => s.Rival >= -1);
            Assert.True(shrunk.Cpus <= 3, shrunk.ToString());
        }
    }
}
