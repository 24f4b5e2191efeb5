namespace Conformance.Patching.Catalog;

/// <summary>The sites ftrace patches: the 5-byte <c>-mfentry</c> call at a function entry, or its NOP5.</summary>
internal static class FtraceSites
{
    public static SiteDecision Accepts(PatchSite site) =>
        site.Kind is SiteKind.Call or SiteKind.Nop5
            ? SiteDecision.Accept
            : SiteDecision.Decline("ftrace patches only 5-byte fentry sites (call or NOP5); other sites go through text_poke_bp");
}
