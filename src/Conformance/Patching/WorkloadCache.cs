namespace Conformance.Patching;

/// <summary>
/// Built workloads by layout, kept per thread: a workload is immutable once built, and a campaign
/// builds the same layout many times (the realizer tries a site before using it, every shrink step
/// keeps most of the layout). Same specs and targets, same workload.
/// </summary>
public static class WorkloadCache
{
    private const int MaxKept = 64;
    [ThreadStatic] private static Dictionary<Layout, Workload>? _built;

    /// <summary>What <see cref="Workload.Build"/> returns for these specs and targets (an error is thrown, not kept).</summary>
    public static Workload Build(IReadOnlyList<SiteSpec> specs, int targets)
    {
        var built = _built ??= new();
        var key = new Layout(specs.ToArray(), targets);
        if (built.TryGetValue(key, out var workload)) return workload;
        workload = Workload.Build(specs, targets);
        if (built.Count >= MaxKept) built.Clear();
        return built[key] = workload;
    }

    /// <summary>Specs compared as records (every field, whatever fields a spec gains), in order.</summary>
    private readonly struct Layout(SiteSpec[] specs, int targets) : IEquatable<Layout>
    {
        private readonly SiteSpec[] _specs = specs;
        private readonly int _targets = targets;

        public bool Equals(Layout other) => _targets == other._targets && _specs.AsSpan().SequenceEqual(other._specs);
        public override bool Equals(object? obj) => obj is Layout other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_targets);
            foreach (var s in _specs) hash.Add(s);
            return hash.ToHashCode();
        }
    }
}
