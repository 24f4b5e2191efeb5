using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking;

/// <summary>One change in a patch plan: site index, from target, to target (-1: the NOP form).</summary>
public readonly record struct PlannedChange(int Site, int From, int To);

/// <summary>
/// Everything one checked run needs, as data: the layout, the patch plan (batches applied one
/// after another, the patcher's steps running on the last CPU), the readers, and the schedule.
/// </summary>
public sealed record PatchCase(IReadOnlyList<SiteSpec> Sites, IReadOnlyList<IReadOnlyList<PlannedChange>> Batches, int Cpus, Schedule Schedule)
{
    /// <summary>Call targets in the workload.</summary>
    public int Targets { get; init; } = 4;
    /// <summary>Tasks per reader CPU (two or more make preemption switch tasks).</summary>
    public int TasksPerCpu { get; init; } = 1;
    /// <summary>Reader CPUs that run the loop with interrupts off.</summary>
    public IReadOnlyList<int> InterruptsOffCpus { get; init; } = Array.Empty<int>();
    /// <summary>
    /// How many steps the fair run after the schedule may go without writer progress before P4 fails;
    /// null (the default) derives it from the CPU count (<see cref="LivenessWindow.For"/>).
    /// </summary>
    public long? LivenessBudget { get; init; }

    /// <summary>The progress window the fair run gets (<see cref="LivenessBudget"/>, or the one derived from the scenario).</summary>
    public long LivenessWindowSteps => LivenessBudget ?? LivenessWindow.For(Cpus);
    /// <summary>How far back (clock ticks) a fetch may read stale bytes without a serializing event (machine.md);
    /// the exhaustive explorer uses <see cref="long.MaxValue"/>: staleness bounded by serialization only.</summary>
    public long StalenessWindow { get; init; } = 256;
    /// <summary>The patching CPU runs the workload loop too (its patching thread shares the CPU; a 1-CPU case needs it).</summary>
    public bool PatcherRunsSites { get; init; }
    /// <summary>A second patch of the same patcher, started at the same time as the first batch on another CPU (P5).</summary>
    public IReadOnlyList<PlannedChange> Concurrent { get; init; } = Array.Empty<PlannedChange>();
    /// <summary>When set, the scheduled steps are picked by this strategy as the run goes (the schedule's runs are
    /// ignored; its interrupts and fetch choices apply), and <see cref="CaseResult.Schedule"/> records them.</summary>
    public ScheduleExploration? Exploration { get; init; }

    /// <summary>The case in the suite's one notation (<see cref="Reporting.CaseNotation"/>, spec/timelines.md).</summary>
    public override string ToString() => Reporting.CaseNotation.Of(this);
}

/// <summary>The outcome of one checked run.</summary>
public sealed record CaseResult(IReadOnlyList<Violation> Violations, long Steps, IReadOnlyList<string> Trace)
{
    /// <summary>The typed events of the run, when it was traced (what timelines are drawn from).</summary>
    public IReadOnlyList<TraceEvent> Events { get; init; } = Array.Empty<TraceEvent>();

    /// <summary>The CPU the patcher ran on, or -1 when nothing ran.</summary>
    public int WriterCpu { get; init; } = -1;

    /// <summary>Every request of the patch plan, in order: the old and new instruction of each change.</summary>
    public IReadOnlyList<PatchRequest> Requests { get; init; } = Array.Empty<PatchRequest>();

    public bool Passed => Violations.Count == 0;
    public Violation? First => Violations.Count == 0 ? null : Violations[0];

    /// <summary>The most steps the run's fair part went without writer progress (a step, an acknowledgement): what the liveness window must exceed.</summary>
    public long LongestStall { get; init; }

    /// <summary>The progress window the fair run was given (<see cref="PatchCase.LivenessWindowSteps"/>).</summary>
    public long LivenessWindowSteps { get; init; }

    /// <summary>The schedule the run followed (for an explored case, the steps the strategy picked, as runs): it replays the run.</summary>
    public Schedule? Schedule { get; init; }
}
