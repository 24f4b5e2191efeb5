namespace Conformance.Patching;

/// <summary>
/// Runs a patcher's code. A built-in patcher is called directly. A plug-in's calls run on a
/// separate thread with a time limit, so one that never returns is reported ("did not return
/// within 10 s") instead of hanging the suite; the abandoned call keeps its thread, and the rest of
/// the run goes on. A throw becomes an error naming the patcher and what it was doing.
/// </summary>
internal sealed class PatcherGuard(string patcher, bool isPlugin, TimeSpan limit)
{

    /// <summary>The patcher's steps, each drawn under the guard.</summary>
    public IEnumerable<Machine.WriterStep> Steps(Func<IEnumerable<Machine.WriterStep>> steps)
    {
        IEnumerator<Machine.WriterStep>? e = null;
        int n = 0;
        while (true)
        {
            n++;
            bool more = Call(() => (e ??= steps().GetEnumerator()).MoveNext(), $"producing step {n}");
            if (!more) yield break;
            yield return e!.Current;
        }
    }

    /// <summary>The #BP handler's result; a throw or a hang becomes a decline that says so.</summary>
    public BreakpointResult Handler(Func<BreakpointResult> handler)
    {
        try
        {
            return Call(handler, "its #BP handler");
        }
        catch (PatcherException e)
        {
            return BreakpointResult.Declined(e.Message);
        }
    }

    private T Call<T>(Func<T> body, string what)
    {
        if (!isPlugin)
        {
            try { return body(); }
            catch (PatcherException) { throw; }
            catch (Exception e) { throw new PatcherException($"{patcher} threw {e.GetType().Name} in {what}: {e.Message}"); }
        }
        var task = Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(limit)) throw new PatcherException($"{patcher} did not return within {limit.TotalSeconds:0.###} s in {what}");
            return task.Result;
        }
        catch (AggregateException e) when (e.InnerException is { } inner)
        {
            throw new PatcherException($"{patcher} threw {inner.GetType().Name} in {what}: {inner.Message}");
        }
    }
}
