using System.Globalization;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Reporting;

namespace Conformance.Generators.Campaigns;

/// <summary>A matrix cell's shrunk counterexample as a report sees it (the one place a cell becomes a <see cref="Counterexample"/>).</summary>
public static class MatrixCounterexample
{
    /// <summary>The cell's shrunk counterexample with its seed and replay token, or null when the cell passed.</summary>
    public static Counterexample? Of(MatrixCell cell, PatcherInfo patcher)
    {
        if (cell.Shrunk is not { Passed: false } result || cell.ShrunkCase is not { } shrunkCase) return null;
        var model = FetchModelRegistry.Get(cell.Model);
        return new Counterexample(cell.Patcher, patcher.Description, model.Name, model.Description, cell.NmiMayEndStiShadow, shrunkCase, result)
        {
            Token = cell.Token?.ToString(),
            Plugin = cell.Token?.Plugin,
            Seed = cell.Token is { } t
                ? string.Create(CultureInfo.InvariantCulture, $"{t.Seed},{t.Gamma},{t.Size} (FsCheck's seed, gamma and size of the case before shrinking)")
                : null,
        };
    }
}
