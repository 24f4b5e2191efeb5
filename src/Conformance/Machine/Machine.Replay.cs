namespace Conformance.Machine;

/// <summary>Where a replay left the recorded run, if it did.</summary>
public sealed record ReplayDivergence(long Step, int Line, string Expected, string Actual)
{
    public override string ToString() => $"replay diverged at step {Step} (trace line {Line + 1}): expected \"{Expected}\", got \"{Actual}\"";
}

public sealed partial class Machine
{
    /// <summary>
    /// Runs <paramref name="schedule"/> checking, step by step, that the trace it makes is the
    /// recorded one; stops at the first difference and says where. Needs <see cref="MachineOptions.RecordTrace"/>.
    /// Returns null when the replay matches the recording to its end.
    /// </summary>
    public ReplayDivergence? Replay(Schedule schedule, IReadOnlyList<string> recorded)
    {
        if (_trace is null) throw new InvalidOperationException("replay compares traces: build the machine with RecordTrace = true");
        int checkedLines = 0;
        ReplayDivergence? divergence = null;
        Run(schedule, step =>
        {
            for (; checkedLines < _trace.Count; checkedLines++)
            {
                string expected = checkedLines < recorded.Count ? recorded[checkedLines] : "(the recording ended)";
                if (expected == _trace[checkedLines]) continue;
                divergence = new ReplayDivergence(step, checkedLines, expected, _trace[checkedLines]);
                return false;
            }
            return true;
        });
        if (divergence is null && checkedLines < recorded.Count)
            divergence = new ReplayDivergence(_step, checkedLines, recorded[checkedLines], "(the replay ended)");
        return divergence;
    }
}
