using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching;

/// <summary>Shared set-up for patcher tests: a one-site workload and a 2-CPU rig (cpu0 loops, cpu1 patches).</summary>
internal static class PatchTesting
{
    /// <summary>A site at a line offset that makes a 5-byte instruction straddle a 64-byte line.</summary>
    public const ulong StraddlingSite = Workload.SiteArea + 0x3e;

    public static Workload OneSite(SiteKind kind, int target, ulong address = Workload.SiteArea + 0x10, Abi abi = Abi.C) =>
        Workload.Build([new SiteSpec("s0", address, kind, target, abi)]);

    public static PatchRig Rig(IPatcher patcher, Workload workload, PatchRigOptions? options = null, bool plugin = false) =>
        new(patcher, workload, options ?? new PatchRigOptions { RecordTrace = true }, plugin);

    /// <summary>Runs only the patching CPU until its writer is done (other CPUs idle, so syncs wait for them).</summary>
    public static List<byte[]> SiteBytesAfterEachWriterStep(PatchRig rig, PatchSite site, int maxSteps = 200)
    {
        var seen = new List<byte[]> { rig.Bytes(site) };
        for (int i = 0; i < maxSteps && !rig.Machine.WritersDone; i++)
        {
            var kind = rig.Machine.Step(rig.WriterCpu);
            if (kind == MachineStepKind.Waiting)
                for (int c = 0; c < rig.WriterCpu; c++) { rig.Machine.Step(c); rig.Machine.Step(c); }   // take the IPI: deliver, handle
            var bytes = rig.Bytes(site);
            if (!seen[^1].SequenceEqual(bytes)) seen.Add(bytes);
        }
        return seen;
    }

    /// <summary>Steps the patching CPU once, and once more if that step only took text_mutex: the first step that writes.</summary>
    public static MachineStepKind StepWriterPastLock(PatchRig rig)
    {
        var kind = rig.Machine.Step(rig.WriterCpu);
        return rig.Machine.CurrentWriterStep(rig.WriterCpu) is WriterStep.Acquire ? rig.Machine.Step(rig.WriterCpu) : kind;
    }

    public static string Hex(IEnumerable<byte[]> states) => string.Join(" | ", states.Select(Forms.Hex));
}
