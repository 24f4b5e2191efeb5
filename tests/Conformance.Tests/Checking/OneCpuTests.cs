using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Checking;

/// <summary>
/// One CPU: the patching thread shares it with the only task. Preempted after its first sync, the
/// patcher leaves its own int3 in place while the task runs into the site and traps on it.
/// </summary>
public class OneCpuTests
{
    /// <summary>
    /// Steps: the preempting timer's delivery and handler (the patching thread takes the CPU), text_mutex,
    /// int3, sync sent, sync complete (no other CPU) where the preemption raised at step 4 takes effect;
    /// then the task runs to the site and traps.
    /// </summary>
    private static PatchCase OwnInt3() => new(
        [new SiteSpec("s0", Workload.SiteArea + 0x10, SiteKind.Call, 0)], [[new PlannedChange(0, 0, 1)]], 1,
        new Schedule([new ScheduleRun(0, 40)], [new ScheduledInterrupt(4, 0, InterruptKind.PreemptingTimer)], []))
    {
        PatcherRunsSites = true,
    };

    [Fact]
    public void The_task_traps_on_its_own_cpus_patch_and_text_poke_bp_emulates_the_new_call()
    {
        var result = PatchCheck.Run(() => new TextPokeBp(), new AtomicFetch(), OwnInt3(), recordTrace: true);
        Assert.True(result.Passed, string.Join("\n", result.Violations));
        int preempted = result.Trace.ToList().FindIndex(l => l.Contains("preempted: switch from the patching thread"));
        Assert.True(preempted >= 0, string.Join("\n", result.Trace));
        Assert.Contains(result.Trace.Skip(preempted), l => l.Contains("cpu0 0x400050 int 3"));
        Assert.Contains(result.Trace.Skip(preempted), l => l.Contains("#BP handler"));
    }

    [Fact]
    public void The_same_run_catches_a_call_emulated_without_the_stack_gap()
    {
        var result = PatchCheck.Run(() => new Int3EmulateCallNoGap(), new AtomicFetch(), OwnInt3(), recordTrace: true);
        Assert.Contains(result.Violations, v => v.Property == EquivalentEffect.Id);
    }
}
