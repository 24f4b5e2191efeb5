using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching.Catalog;

/// <summary>
/// Drives one reader CPU into a site's int3 on a fixed schedule: the patching CPU runs until the
/// int3 is stored (readers take the sync IPIs it sends), then the reader runs until it stands at
/// the site with no IPI pending, so its next step is the trap.
/// </summary>
internal static class BreakpointVisit
{
    public static Cpu ArmAndReach(PatchRig rig, PatchSite site, int reader = 0)
    {
        for (int i = 0; i < 20 && rig.Bytes(site)[0] != Forms.Int3; i++)
            if (rig.Machine.Step(rig.WriterCpu) == MachineStepKind.Waiting)
                for (int c = 0; c < rig.WriterCpu; c++) { rig.Machine.Step(c); rig.Machine.Step(c); }   // take the IPI: deliver, handle
        Assert.Equal(Forms.Int3, rig.Bytes(site)[0]);
        var cpu = rig.Machine.Cpus[reader];
        for (int i = 0; i < 200 && (cpu.State.Rip != site.Address || cpu.HasPendingInterrupts); i++) rig.Machine.Step(reader);
        Assert.Equal(site.Address, cpu.State.Rip);
        Assert.False(cpu.HasPendingInterrupts);
        return cpu;
    }

    /// <summary>Runs the reader until it reaches <paramref name="rip"/> (at most <paramref name="max"/> steps).</summary>
    public static void RunTo(PatchRig rig, ulong rip, int reader = 0, int max = 50)
    {
        var cpu = rig.Machine.Cpus[reader];
        for (int i = 0; i < max && cpu.State.Rip != rip; i++) Assert.NotEqual(StepResult.Faulted, cpu.Step());
        Assert.Equal(rip, cpu.State.Rip);
    }

    /// <summary>The 8 bytes at <paramref name="address"/>.</summary>
    public static ulong Word(PatchRig rig, ulong address)
    {
        var b = new byte[8];
        rig.Machine.Memory.ReadCurrent(address, b);
        return BitConverter.ToUInt64(b);
    }

    /// <summary>The <paramref name="n"/> current bytes at <paramref name="address"/>.</summary>
    public static byte[] Bytes(PatchRig rig, ulong address, int n)
    {
        var b = new byte[n];
        rig.Machine.Memory.ReadCurrent(address, b);
        return b;
    }

    /// <summary>The writer's trace lines (its stores and syncs), in order.</summary>
    public static string[] WriterLines(PatchRig rig) =>
        rig.Machine.Trace.Where(l => l.Contains(" writer: ")).Select(l => l[(l.IndexOf(" writer: ") + 9)..]).Select(l => l.Split(" (t=")[0]).ToArray();
}
