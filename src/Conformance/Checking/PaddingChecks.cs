using Conformance.Patching;

namespace Conformance.Checking;

/// <summary>
/// The properties over the code a change writes outside its site (<see cref="PatchRequest.Padding"/>,
/// a hot-patch's long jmp before its entry): P1 checks fetches of it as it checks a site's, with the
/// workload's original bytes as the old instruction and the padding's as the new; P3 wants its new
/// value there once the patcher returned.
/// </summary>
public static class PaddingChecks
{
    /// <summary>Each padding as a request P1 can check: a pseudo-site named after its site, old = the original bytes, new = the padding's.</summary>
    public static IEnumerable<PatchRequest> AsRequests(Workload workload, IEnumerable<PatchRequest> requests) =>
        from r in requests
        from p in r.Padding
        select new PatchRequest(new PatchSite($"{r.Site.Name}.padding", p.Address, SiteKind.Jmp, p.Bytes.Length, r.Site.Abi), Original(workload, p), p.Bytes);

    /// <summary>P3 over the padding of the last request of each site that has one.</summary>
    public static IEnumerable<Violation> FinalBytes(PatchRig rig, IEnumerable<PatchRequest> requests)
    {
        foreach (var r in requests.GroupBy(r => r.Site).Select(g => g.Last()))
            foreach (var p in r.Padding)
            {
                var bytes = new byte[p.Bytes.Length];
                rig.Machine.Memory.ReadCurrent(p.Address, bytes);
                if (!bytes.AsSpan().SequenceEqual(p.Bytes))
                    yield return new Violation(PatchCheck.Completion, rig.WriterCpu, PatchCheck.LastStep(rig), rig.Machine.Memory.Now,
                        $"after the patcher returned, {r.Site.Name}'s padding at 0x{p.Address:x} holds {Forms.Hex(bytes)}, not {Forms.Hex(p.Bytes)}")
                        { Site = r.Site, OnWriter = true, AtRunEnd = true };
            }
    }

    private static byte[] Original(Workload workload, CodeBytes p) =>
        workload.Code.AsSpan((int)(p.Address - Workload.TextBase), p.Bytes.Length).ToArray();
}
