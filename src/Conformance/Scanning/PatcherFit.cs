using Conformance.Patching;

namespace Conformance.Scanning;

/// <summary>How many sites a patcher declines with one fallback (its own words, from <see cref="SiteDecision.Fallback"/>).</summary>
public sealed record FallbackCount(string Reason, int Sites);

/// <summary>How many sites of one layout class (site kind and alignment class) there are, and how many a patcher accepts.</summary>
public sealed record ClassFit(SiteKind Kind, AlignmentClass Class, int Sites, int Accepted);

/// <summary>
/// What one patcher says of a file's sites: how many it accepts, how many it declines and with
/// which fallback, and the same by layout class. Computed by calling the patcher's own
/// <c>Accepts</c> on a <see cref="PatchSite"/> and a <see cref="PatchRequest"/> built for each
/// scanned site (<see cref="SiteRequests"/>), so the rule is the patcher's, not restated here.
/// </summary>
public sealed record PatcherFit(string Patcher, int Sites, int Accepted, IReadOnlyList<FallbackCount> Fallbacks, IReadOnlyList<ClassFit> ByClass)
{
    public int Declined => Sites - Accepted;

    /// <summary>Every modeled site of <paramref name="sites"/> put to <paramref name="patcher"/>.</summary>
    public static PatcherFit Of(string name, IPatcher patcher, IEnumerable<ScannedSite> sites)
    {
        int total = 0, accepted = 0;
        var fallbacks = new List<(string Reason, int Sites)>();
        var byClass = new SortedDictionary<(SiteKind, AlignmentClass), (int Sites, int Accepted)>();
        foreach (var s in sites)
        {
            if (s.SiteKind is not { } kind) continue;
            total++;
            var decision = Decide(patcher, s);
            var key = (kind, s.Class);
            byClass.TryGetValue(key, out var c);
            byClass[key] = (c.Sites + 1, c.Accepted + (decision.Accepted ? 1 : 0));
            if (decision.Accepted) { accepted++; continue; }
            string reason = decision.Fallback ?? "(declined without saying what it falls back to)";
            int i = fallbacks.FindIndex(f => f.Reason == reason);
            if (i < 0) fallbacks.Add((reason, 1));
            else fallbacks[i] = (reason, fallbacks[i].Sites + 1);
        }
        return new PatcherFit(name, total, accepted,
            fallbacks.OrderByDescending(f => f.Sites).ThenBy(f => f.Reason, StringComparer.Ordinal).Select(f => new FallbackCount(f.Reason, f.Sites)).ToArray(),
            byClass.Select(kv => new ClassFit(kv.Key.Item1, kv.Key.Item2, kv.Value.Sites, kv.Value.Accepted)).ToArray());
    }

    /// <summary>The patcher's decision for the site, then for its natural change; a throw is a decline that says so.</summary>
    public static SiteDecision Decide(IPatcher patcher, ScannedSite s)
    {
        try
        {
            var site = SiteRequests.Site(s);
            var first = patcher.Accepts(site);
            return first.Accepted ? patcher.Accepts(SiteRequests.Request(s)) : first;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return SiteDecision.Decline($"(Accepts threw {e.GetType().Name}: {e.Message})");
        }
    }
}

/// <summary>The <see cref="PatchSite"/> and the change a scanned site stands for, as the patcher would be asked.</summary>
public static class SiteRequests
{
    /// <summary>How far the new target of a retargeted call or jmp is from the old (the workload's target spacing).</summary>
    private const ulong Retarget = Workload.TargetSpacing;

    public static PatchSite Site(ScannedSite s) =>
        new($"{s.Section}+0x{s.SectionOffset:x}", s.Address, s.SiteKind ?? throw new ArgumentException($"{s.Kind.Name()} sites have no site kind"), s.Length);

    /// <summary>
    /// The change a site of this kind undergoes in its own scheme: a call or jmp retargeted (static
    /// calls, plain calls, trampolines), an fentry call turned into its NOP or back, a jump label's
    /// NOP turned into its jmp or back. The old instruction is the file's bytes.
    /// </summary>
    public static PatchRequest Request(ScannedSite s)
    {
        var site = Site(s);
        byte[] old = s.Bytes.Length == s.Length ? s.Bytes : throw new ArgumentException($"site at 0x{s.Address:x}: {s.Bytes.Length} bytes read, {s.Length} expected");
        ulong? target = Forms.Target(s.Address, old);
        ulong moved = (target ?? s.Address) + Retarget;
        byte[] @new = (s.SiteKind, s.Kind) switch
        {
            (SiteKind.Call, ScanKind.Fentry) => Forms.Nop5,
            (SiteKind.Nop5, _) when s.Kind is ScanKind.JumpLabel => Forms.Jmp(s.Address, moved),
            (SiteKind.Nop5, _) => Forms.Call(s.Address, moved),
            (SiteKind.Call, _) => Forms.Call(s.Address, moved),
            (SiteKind.Jmp, ScanKind.JumpLabel) => Forms.Nop5,
            (SiteKind.Jmp or SiteKind.Trampoline, _) => Forms.Jmp(s.Address, moved),
            (SiteKind.CsCall, _) => Forms.CsCall(s.Address, moved),
            (SiteKind.Short, _) => target is null ? Forms.Jmp8(s.Address, s.Address + 2 + 8) : Forms.Nop2,
            _ => throw new ArgumentException($"{s.Kind.Name()} sites have no site kind"),
        };
        return new PatchRequest(site, old, @new);
    }
}
