namespace Conformance.Patching;

/// <summary>
/// Runs a patcher's code on the machine and turns a throw into an error naming the patcher and
/// what it was doing: the writer stops, or the #BP handler declines with the message. A plug-in's
/// own calls are guarded (and watched for hangs) by <see cref="GuardedPatcher"/>, whose messages
/// pass through unchanged; a plug-in that hangs is stopped by the worker process it runs in.
/// </summary>
internal sealed class PatcherGuard(string patcher)
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

    /// <summary>The #BP handler's result; a throw becomes a decline that says so.</summary>
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
        try { return body(); }
        catch (PatcherException) { throw; }
        catch (PluginFaultException) { throw; }
        catch (Exception e) { throw new PatcherException($"{patcher} threw {e.GetType().Name} in {what}: {e.Message}"); }
    }
}
