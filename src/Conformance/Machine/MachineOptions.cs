namespace Conformance.Machine;

/// <summary>The switches of a machine.</summary>
public sealed record MachineOptions
{
    /// <summary>Number of CPUs, 1 to 8.</summary>
    public int Cpus { get; init; } = 2;

    /// <summary>How instruction fetch reads code another CPU may be writing.</summary>
    public IFetchModel FetchModel { get; init; } = new AtomicFetch();

    /// <summary>How far back (in clock ticks) a fetch unit may be read, even with no serializing event.
    /// Caches are coherent: a store reaches every fetcher eventually.</summary>
    public long StalenessWindow { get; init; } = 256;

    /// <summary>Whether an NMI may land in an STI shadow (and end it). See <see cref="Emulation.CpuOptions.NmiMayEndStiShadow"/>.</summary>
    public bool NmiMayEndStiShadow { get; init; }

    /// <summary>Record a textual trace of every step (for replay comparison and reports; slower).</summary>
    public bool RecordTrace { get; init; }

    /// <summary>Code ranges [start, end) whose fetches are recorded with their units and moments.</summary>
    public IReadOnlyList<(ulong Start, ulong End)> WatchedCode { get; init; } = Array.Empty<(ulong, ulong)>();

    public void Validate()
    {
        if (Cpus is < 1 or > 8) throw new ArgumentException($"Cpus = {Cpus}: a machine has 1 to 8 CPUs");
        if (StalenessWindow < 0) throw new ArgumentException($"StalenessWindow = {StalenessWindow}: cannot be negative");
    }
}
