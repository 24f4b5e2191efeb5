using System.Collections.Concurrent;

namespace Conformance.Generators.Campaigns;

/// <summary>
/// Runs the independent units of a campaign (matrix cells, instruction families) on several
/// threads. Each unit's result depends only on the unit (its seed is derived from its name), and
/// results are placed by the unit's index, so the output is the same for any number of threads.
/// Units are handed out one at a time in index order, so a long unit does not hold up a batch.
/// </summary>
public static class CampaignParallel
{
    /// <summary>
    /// <paramref name="work"/> applied to every item, on up to <paramref name="threads"/> threads; results
    /// in item order. <paramref name="done"/> (called on the worker thread, so it must be thread-safe)
    /// hears each finished index. The first exception a unit throws is rethrown as it was.
    /// </summary>
    public static TResult[] Map<TItem, TResult>(IReadOnlyList<TItem> items, int threads, Func<TItem, TResult> work, Action<int>? done = null)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"threads = {threads}: at least one");
        var results = new TResult[items.Count];
        if (threads == 1)
        {
            for (int i = 0; i < items.Count; i++)
            {
                results[i] = work(items[i]);
                done?.Invoke(i);
            }
            return results;
        }
        var order = Partitioner.Create(Enumerable.Range(0, items.Count), EnumerablePartitionerOptions.NoBuffering);
        try
        {
            Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            {
                results[i] = work(items[i]);
                done?.Invoke(i);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return results;
    }
}
