using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking;

/// <summary>
/// Patch rigs kept per thread by what they were built for (patcher, workload, options), each reset
/// (<see cref="PatchRig.Reset"/>) instead of rebuilt when the same layout runs again, as it does
/// while a counterexample shrinks: the regions, tasks and handlers stay, and so do the instructions
/// already decoded. A reset rig runs a case exactly as a fresh one would.
/// </summary>
public static class RigPool
{
    private const int MaxKept = 32;
    [ThreadStatic] private static Dictionary<Key, PatchRig>? _rigs;

    private readonly record struct Key(Workload Workload, Type PatcherType, string Patcher, PatchRigOptions Options, string InterruptsOff);

    /// <summary>Forgets this thread's rigs: the next case of every layout builds a fresh one.</summary>
    public static void Clear() => _rigs?.Clear();

    /// <summary>A rig for <paramref name="patcher"/> over <paramref name="workload"/>, as if just built (a traced one is always built).</summary>
    public static PatchRig Rent(IPatcher patcher, Workload workload, PatchRigOptions options)
    {
        if (options.RecordTrace) return new PatchRig(patcher, workload, options);   // traced runs are rare (a shrunk case)
        var rigs = _rigs ??= new();
        // Options compare as a record, whatever fields they gain; the one list among them compares by its contents.
        var key = new Key(workload, patcher.GetType(), patcher.Name, options with { InterruptsOffCpus = Array.Empty<int>() },
            string.Join(",", options.InterruptsOffCpus));
        if (rigs.TryGetValue(key, out var rig))
        {
            rig.Reset(patcher);
            return rig;
        }
        rig = new PatchRig(patcher, workload, options);
        rig.Machine.MarkInitial();
        if (rigs.Count >= MaxKept) rigs.Clear();
        return rigs[key] = rig;
    }
}
