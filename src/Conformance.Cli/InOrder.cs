using Conformance.Generators.Campaigns;

namespace Conformance.Cli;

/// <summary>
/// Runs independent pieces of work on several threads (<see cref="CampaignParallel.Map"/>: handed out
/// one at a time in order) and hands each result to <c>print</c> on the calling thread, in the pieces'
/// order, as soon as it and every piece before it are done. What is printed, and in what order, does
/// not depend on the number of threads or their timing; only when it appears does.
/// </summary>
public static class InOrder
{
    public static void Run<T>(IReadOnlyList<Func<T>> pieces, int threads, Action<T> print)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"threads = {threads}: at least one");
        if (threads == 1)
        {
            foreach (var piece in pieces) print(piece());
            return;
        }
        var results = new T[pieces.Count];
        var ready = new bool[pieces.Count];
        var gate = new object();
        var work = Task.Run(() => CampaignParallel.Map(Enumerable.Range(0, pieces.Count).ToArray(), threads, i =>
        {
            var r = pieces[i]();
            lock (gate) { results[i] = r; ready[i] = true; Monitor.PulseAll(gate); }
            return 0;
        }));
        for (int i = 0; i < pieces.Count; i++)
        {
            lock (gate)
                while (!ready[i] && !work.IsCompleted) Monitor.Wait(gate, 100);
            if (!ready[i]) work.GetAwaiter().GetResult();   // a piece threw: rethrown here, as one thread would have
            print(results[i]);
        }
        work.GetAwaiter().GetResult();
    }
}
