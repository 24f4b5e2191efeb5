using System.Globalization;

namespace Conformance.Generators.Campaigns;

/// <summary>
/// One part of a campaign split over several machines (<c>check --shard I/N</c>): shard I of N
/// (1-based) runs the units whose 0-based index i has i mod N = I - 1. The split depends only on the
/// list of units, never on timing, and the shards' results interleave back into the whole run's order.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    /// <summary>The whole campaign as one shard.</summary>
    public static Shard All { get; } = new(1, 1);

    public bool IsAll => Count == 1;

    /// <summary>Parses <c>I/N</c>; anything else throws an <see cref="ArgumentException"/> that says what is wrong.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 ||
            !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw new ArgumentException($"--shard '{text}': expected I/N, two whole numbers such as 1/2");
        if (count < 1) throw new ArgumentException($"--shard '{text}': N must be at least 1");
        if (index < 1 || index > count) throw new ArgumentException($"--shard '{text}': I must be 1 to N ({count})");
        return new Shard(index, count);
    }

    /// <summary>Whether the unit at <paramref name="index"/> (0-based, in the whole campaign) belongs to this shard.</summary>
    public bool Selects(int index) => index % Count == Index - 1;

    /// <summary>This shard's units, in order.</summary>
    public IReadOnlyList<T> Of<T>(IReadOnlyList<T> all) => all.Where((_, i) => Selects(i)).ToArray();

    /// <summary>
    /// The whole campaign's units from every shard's, given in shard order (shard 1 first): unit i is
    /// the (i div N)-th of shard (i mod N) + 1. Throws when the counts cannot come from one split.
    /// </summary>
    public static IReadOnlyList<T> Interleave<T>(IReadOnlyList<IReadOnlyList<T>> shards)
    {
        int n = shards.Count, total = shards.Sum(s => s.Count);
        for (int s = 0; s < n; s++)
        {
            int expected = total / n + (s < total % n ? 1 : 0);
            if (shards[s].Count != expected)
                throw new ArgumentException($"shard {s + 1}/{n} has {shards[s].Count} unit(s); a split of {total} into {n} gives it {expected}");
        }
        var all = new T[total];
        for (int i = 0; i < total; i++) all[i] = shards[i % n][i / n];
        return all;
    }

    public override string ToString() => $"{Index}/{Count}";
}
