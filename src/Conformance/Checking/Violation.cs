using Conformance.Machine;

namespace Conformance.Checking;

/// <summary>
/// A property violated in a run: which, on which CPU, when, and a sentence saying what was observed.
/// Two figures say when, never mixed up (spec/timelines.md, "Steps and the clock"): <see cref="Step"/>
/// is a machine step (the offending event's: the torn fetch, the step that ended a bad visit; for a
/// violation found once the run had ended, <see cref="AtRunEnd"/>, the run's last step), and
/// <see cref="Clock"/> is the memory clock after that step (the clock fetch moments and store times are
/// measured in). Text writes a step as "step N" and the clock as "t=N".
/// </summary>
public sealed record Violation(string Property, int Cpu, long Step, long Clock, string Message, FetchRecord? Fetch = null)
{
    /// <summary>The name of the violation a patcher's own failure is (it threw, wrote outside memory, released a lock it did not hold).</summary>
    public const string PatcherError = "patcher-error";

    /// <summary>Whether the violation is about the patcher itself (its liveness, final bytes, failure), rather than a task's code.</summary>
    public bool OnWriter { get; init; }

    /// <summary>
    /// Found when the run had ended (P3's final bytes, P4, a patcher's error, a task left in a stub):
    /// <see cref="Step"/> is then the run's last step, and the violation goes after any found during that step.
    /// </summary>
    public bool AtRunEnd { get; init; }

    /// <summary>The patch site the violation is about (a torn fetch's, a visit's), or null.</summary>
    public Patching.PatchSite? Site { get; init; }

    /// <summary>Where the offending stretch began (a visit's first step, a livelock cycle's first step), or -1.</summary>
    public long FromStep { get; init; } = -1;

    /// <summary>For a task left suspended inside a stub the patcher reuses (P3), where in the stub it is; else null.</summary>
    public ulong? InStubAt { get; init; }

    public override string ToString() => $"{Property} violated on cpu{Cpu} at step {Step} (t={Clock}): {Message}";
}
