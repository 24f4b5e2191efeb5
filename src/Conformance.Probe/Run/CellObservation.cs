using Conformance.Probe.Layout;

namespace Conformance.Probe.Run;

/// <summary>How often the reader executed one mixture at the site.</summary>
public sealed record MixtureCount(Mixture Mixture, long Count);

/// <summary>
/// What one cell saw on hardware: the reader's iterations, every counter (the calls each mixture
/// made), the writer's cycles, where the threads ran and for how long.
/// </summary>
public sealed record CellObservation(string Row, Placement Placement, IReadOnlyList<MixtureCount> Counts, long Iterations, long Cycles,
    int ReaderCpu, int WriterCpu, TimeSpan Elapsed, string Memory)
{
    /// <summary>Every counted call (old, new and torn).</summary>
    public long Calls => Counts.Sum(c => c.Count);

    /// <summary>Calls of a torn mixture.</summary>
    public long Tears => Counts.Where(c => c.Mixture.Kind == MixtureKind.Torn).Sum(c => c.Count);

    /// <summary>Iterations no counter accounts for: 0 unless a call went somewhere the layout did not foresee.</summary>
    public long Unaccounted => Iterations - Calls;

    /// <summary>A cell observed with no hardware (a synthetic table for tests and for reading the classification).</summary>
    public static CellObservation Synthetic(string row, Placement placement, IReadOnlyList<MixtureCount> counts) =>
        new(row, placement, counts, counts.Sum(c => c.Count), 0, -1, -1, TimeSpan.Zero, "none");
}
