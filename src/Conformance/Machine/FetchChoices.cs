namespace Conformance.Machine;

/// <summary>
/// The fetch choices of a run, consumed in order, one per fetch unit that has more than one
/// moment to choose from: 0 reads the newest bytes, k reads the k-th older version of the unit
/// (clamped to the oldest one the window allows). Past the end of the list every choice is 0, so
/// a shorter list is always valid and shrinking toward fewer or smaller choices means "more coherent".
/// </summary>
public sealed class FetchChoices
{
    private readonly IReadOnlyList<int> _values;
    private readonly List<int> _taken = new();
    private readonly List<int> _options = new();
    private int _next;

    public FetchChoices(IReadOnlyList<int> values)
    {
        for (int i = 0; i < values.Count; i++)
            if (values[i] < 0) throw new ArgumentException($"fetch choice #{i} is {values[i]}: choices count versions back and cannot be negative");
        _values = values;
    }

    public static FetchChoices Coherent => new(Array.Empty<int>());

    /// <summary>The choices actually used, with the clamping applied (what a replay needs).</summary>
    public IReadOnlyList<int> Taken => _taken;

    /// <summary>For each choice taken, how many versions there were to choose from (for exhaustive enumeration).</summary>
    public IReadOnlyList<int> Options => _options;

    /// <summary>
    /// How many of the listed choices are still to come. Past the end every fetch reads the newest
    /// bytes, so this number and the machine state decide every fetch that follows: it is part of the
    /// liveness fingerprint (a CPU re-reading a stale spin is not in a cycle while choices remain).
    /// </summary>
    public int Remaining => Math.Max(0, _values.Count - _next);

    /// <summary>Picks one of <paramref name="candidates"/> (at least one) versions; consumes a choice only when there are two or more.</summary>
    public int Next(int candidates)
    {
        if (candidates <= 1) return 0;
        int raw = _next < _values.Count ? _values[_next] : 0;
        _next++;
        int pick = Math.Min(raw, candidates - 1);
        _taken.Add(pick);
        _options.Add(candidates);
        return pick;
    }
}
