using Conformance.Checking;
using Conformance.Patching;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Rows;
using Conformance.Reporting;

namespace Conformance.Probe.Run;

/// <summary>
/// The probe cell that would show an emulator counterexample on hardware: the counterexample's
/// scheme as a row, at its site's line offset, with the torn fetch's pattern (which bytes were old
/// and which new) to look for among the hardware's mixtures.
/// </summary>
public sealed record CounterexampleCell(ProbeRow Row, Placement Placement, string Model, string TornFetch, string Pattern, string? Note)
{
    /// <summary>
    /// A P1 counterexample (a torn decode) of a scheme the probe can replay. Anything else throws an
    /// <see cref="ArgumentException"/> naming why: another property, a site that is not 5 bytes, a
    /// scheme whose steps are not stores, a placement it declines.
    /// </summary>
    public static CounterexampleCell Of(Counterexample counterexample, IReadOnlyList<PatcherInfo> catalog)
    {
        var v = counterexample.Violation;
        if (v.Property != OldNewOrTrap.Id)
            throw new ArgumentException($"the counterexample violates {v.Property}; the probe shows torn decodes ({OldNewOrTrap.Id}) only");
        if (v.Fetch is not { } fetch || v.Site is not { } site)
            throw new ArgumentException("the counterexample's violation names no torn fetch and site");
        if (site.Length != Placement.SiteLength)
            throw new ArgumentException($"the torn site is {site.Length} bytes ({site.Kind}); the probe's site is a 5-byte call");
        var patcher = catalog.FirstOrDefault(p => p.Name == counterexample.Patcher)
            ?? throw new ArgumentException($"the counterexample's patcher '{counterexample.Patcher}' is not in the catalog (a plug-in? pass --plugin)");
        var request = counterexample.Result.Requests.FirstOrDefault(r => r.Site.Address == site.Address)
            ?? throw new ArgumentException($"the counterexample has no request for its torn site {site}");
        var row = new SchemeRow(patcher);
        var placement = Placement.ForLineOffset((int)(site.Address % 64));
        var layout = ProbeLayout.Build(row, placement, 0);
        if (!layout.Cycle.Applies) throw new ArgumentException($"{row.Name} at {placement} (call -> call): {layout.Cycle.NotApplicable}");
        string? note = request.Old[0] == 0xe8 && request.New[0] == 0xe8 ? null
            : $"the counterexample patched {Forms.Hex(request.Old)} -> {Forms.Hex(request.New)}; the probe flips a call between two targets (a torn NOP could execute anything), so it runs the same scheme at the same placement on call -> call";
        return new CounterexampleCell(row, placement, counterexample.Model, Forms.Hex(fetch.Bytes), Mixture.Pattern(fetch.Bytes, request.Old, request.New), note);
    }

    /// <summary>The hardware's calls of mixtures with the counterexample's pattern (its old and new bytes in the same places).</summary>
    public long Matching(CellObservation observation) =>
        observation.Counts.Where(c => c.Mixture.Kind == MixtureKind.Torn && Matches(c.Mixture)).Sum(c => c.Count);

    private bool Matches(Mixture m)
    {
        // Compared where both layouts change the byte: a '-' on either side (a byte its two
        // instructions share: the counterexample's unchanged displacement bytes, the probe's e8)
        // matches anything.
        if (m.Bytes.Length != Pattern.Length) return false;
        var layoutPattern = MixturePattern(m);
        for (int i = 0; i < Pattern.Length; i++)
            if (Pattern[i] != '-' && layoutPattern[i] != '-' && Pattern[i] != layoutPattern[i]) return false;
        return true;
    }

    private string MixturePattern(Mixture m)
    {
        var layout = ProbeLayout.Build(Row, Placement, 0);
        return Mixture.Pattern(m.Bytes, layout.Old, layout.New);
    }
}
