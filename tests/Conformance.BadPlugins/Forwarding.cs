using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.BadPlugins;

/// <summary>
/// A correct patcher (text_poke_bp) to break one member at a time: each bad plug-in of this
/// assembly overrides the member it breaks. Abstract, so the suite does not load it itself.
/// </summary>
public abstract class Forwarding : IPatcher
{
    private readonly IPatcher _inner;

    protected Forwarding(IPatcher? inner = null) => _inner = inner ?? new TextPokeBp();

    public abstract string Name { get; }
    public virtual string Description => $"a deliberately broken plug-in ({GetType().Name}) for the suite's tests";
    public virtual string Source => "tests/Conformance.BadPlugins";
    public virtual IReadOnlyList<Expectation> Expectations => [];
    public virtual IReadOnlyList<byte[]> HoldingInstructions => [];
    public virtual SiteDecision Accepts(PatchSite site) => _inner.Accepts(site);
    public virtual SiteDecision Accepts(PatchRequest request) => _inner.Accepts(request);
    public virtual IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => _inner.Steps(context, batch);
    public virtual BreakpointResult OnBreakpoint(BreakpointContext context) => _inner.OnBreakpoint(context);

    /// <summary>Spins without end, as a plug-in stuck in a loop does (volatile, so the JIT keeps the loop).</summary>
    protected static void SpinForever()
    {
        int x = 0;
        while (true) Volatile.Write(ref x, x + 1);
    }
}
