using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Generators.Bench;

/// <summary>A known-bad row of the verdict matrix and the one cell of it that the timing searches.</summary>
public sealed record KnownBadRow(PatcherInfo Patcher, IFetchModel Model, bool Nmi)
{
    public string Name => $"{Patcher.Name} / {Model.Name}{(Nmi ? " (NMI)" : "")}";
}

/// <summary>
/// The rows whose time to a counterexample <c>bench</c> measures: every patcher that declares a
/// failure expectation, in the catalog's order, each under the first fetch model (atomic, block64,
/// block32, block16, architectural) and NMI setting (off, then on) under which its cell is expected
/// to fail (<see cref="MatrixCampaign.CellExpectation"/>). Undecided rows, whose verdict the suite
/// decides, are not known-bad by declaration and are left out.
/// </summary>
public static class KnownBadRows
{
    public static IReadOnlyList<KnownBadRow> Of(IEnumerable<PatcherInfo> catalog)
    {
        var rows = new List<KnownBadRow>();
        foreach (var p in catalog)
        {
            var cell = (from nmi in new[] { false, true }
                        from m in FetchModelRegistry.BuiltIn
                        where MatrixCampaign.CellExpectation(p.Expectations, m.Name, nmi) == ExpectedVerdict.Fail
                        select new KnownBadRow(p, m, nmi)).FirstOrDefault();
            if (cell is not null) rows.Add(cell);
        }
        return rows;
    }
}
