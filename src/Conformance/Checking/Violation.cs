using Conformance.Machine;

namespace Conformance.Checking;

/// <summary>
/// A property violated in a run: which, where, when, and a sentence saying what was observed.
/// <see cref="Time"/> is what the message's "t=" names (the memory clock for a fetch, a machine step
/// otherwise); <see cref="Step"/> is always the machine step of the offending event, and
/// <see cref="FromStep"/> where the offending stretch began (a visit's entry, a livelock's cycle).
/// </summary>
public sealed record Violation(string Property, int Cpu, long Time, string Message, FetchRecord? Fetch = null)
{
    /// <summary>The machine step of the offending event: the torn fetch, the end of the bad visit, the step the run stopped.</summary>
    public long Step { get; init; } = -1;

    /// <summary>Whether the violation is about the patcher itself (its liveness, final bytes, failure), rather than a task's code.</summary>
    public bool OnWriter { get; init; }

    /// <summary>The patch site the violation is about (a torn fetch's, a visit's), or null.</summary>
    public Patching.PatchSite? Site { get; init; }

    /// <summary>Where the offending stretch began (a visit's first step, a livelock cycle's first step), or -1.</summary>
    public long FromStep { get; init; } = -1;

    public override string ToString() => $"{Property} violated on cpu{Cpu} at t={Time}: {Message}";
}
