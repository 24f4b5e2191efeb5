using Conformance.Machine;

namespace Conformance.Reporting;

/// <summary>A column of a timeline: a CPU running code, or a patcher (the writer on its CPU).</summary>
public sealed record TimelineLane(string Title, int Cpu, bool IsPatcher);

/// <summary>One event in a cell, as text; <see cref="Offending"/> marks the event the violation is about.</summary>
public sealed record TimelineEntry(TraceEvent Event, string Text, bool Offending);

/// <summary>A line of a timeline: a step with its events, or a cut saying which steps are left out.</summary>
public abstract record TimelineItem;

/// <summary>One step: the memory clock after it and, per lane, the events it had there.</summary>
public sealed record TimelineRow(long Step, long Clock, IReadOnlyList<IReadOnlyList<TimelineEntry>> Cells) : TimelineItem
{
    public bool Offending => Cells.Any(c => c.Any(e => e.Offending));
}

/// <summary>Steps <see cref="From"/> to <see cref="To"/> are not shown (outside the window around the failure).</summary>
public sealed record TimelineCut(long From, long To, bool Earlier) : TimelineItem
{
    public long Count => To - From + 1;

    public override string ToString() =>
        Count == 1 ? $"... 1 {(Earlier ? "earlier" : "later")} step cut (step {From}) ..."
                   : $"... {Count} {(Earlier ? "earlier" : "later")} steps cut (steps {From}-{To}) ...";
}

/// <summary>
/// A counterexample laid out for reading: a header, one lane per CPU that runs code plus one per
/// patcher, one row per step (inside a window around the offending event, with every step the
/// violation depends on and every step the explanation refers to kept in view, and cuts said), and the explanation. The text, SVG and
/// JSON renderers all draw this.
/// </summary>
public sealed class Timeline
{
    /// <summary>Rows kept before the offending step and after it.</summary>
    public const int RowsBefore = 18, RowsAfter = 3;

    private Timeline(Counterexample source, IReadOnlyList<(string, string)> header, IReadOnlyList<TimelineLane> lanes,
        IReadOnlyList<TimelineItem> items, Explanation explanation, long lastStep, IReadOnlyList<TimelineRow> allRows)
    {
        Source = source;
        AllRows = allRows;
        Header = header;
        Lanes = lanes;
        Items = items;
        Explanation = explanation;
        LastStep = lastStep;
    }

    public Counterexample Source { get; }
    /// <summary>Label and value pairs: patcher, model, property, seed, replay command, the case.</summary>
    public IReadOnlyList<(string Label, string Value)> Header { get; }
    public IReadOnlyList<TimelineLane> Lanes { get; }
    public IReadOnlyList<TimelineItem> Items { get; }
    public Explanation Explanation { get; }
    /// <summary>The run's last step (the run went on after the offending event until the patch completed or stopped).</summary>
    public long LastStep { get; }

    public IEnumerable<TimelineRow> Rows => Items.OfType<TimelineRow>();

    /// <summary>Every row of the run, shown or cut (the HTML page lets a reader open a cut in place).</summary>
    public IReadOnlyList<TimelineRow> AllRows { get; }

    /// <summary>The rows a cut leaves out (steps with no event have none).</summary>
    public IEnumerable<TimelineRow> RowsIn(TimelineCut cut) => AllRows.Where(r => r.Step >= cut.From && r.Step <= cut.To);

    /// <summary>The step of the row marked as offending (the header names it), or the violation's step when no row is.</summary>
    public long OffendingStep { get; private init; }

    /// <summary>The steps the violation depends on (<see cref="CausalSet"/>), computed from the trace: every one is a shown row.</summary>
    public IReadOnlyList<CausalStep> Causes { get; private init; } = [];

    /// <summary>The offending stretch before the offending step (a visit for P2, a livelock cycle for P4), or null.</summary>
    public (long From, long To, string What)? Stretch
    {
        get
        {
            var v = Source.Violation;
            if (v.FromStep < 0 || v.FromStep >= v.Step) return null;
            string what = v.Property switch
            {
                Checking.EquivalentEffect.Id => "the visit",
                Checking.PatchCheck.Liveness when v.Message.StartsWith("livelock", StringComparison.Ordinal) => "the cycle that repeats",
                Checking.PatchCheck.Liveness => "the fair run",
                _ => "the offending stretch",
            };
            return (v.FromStep, v.Step, what);
        }
    }

    /// <summary>Whether a row lies in the offending stretch.</summary>
    public bool InStretch(TimelineRow row) => Stretch is { } s && row.Step >= s.From && row.Step <= s.To;

    public static Timeline Build(Counterexample c)
    {
        var v = c.Violation;
        var events = c.Result.Events;
        var lanes = LanesOf(events);
        int LaneOf(TraceEvent e) => lanes.FindIndex(l => l.Cpu == e.Cpu && l.IsPatcher == e.ByWriter);

        var violating = CausalSet.Offending(events, v);
        var offending = violating.ToHashSet();
        var causes = CausalSet.Of(c, violating);
        var rows = new List<TimelineRow>();
        var faulted = new Dictionary<int, string>();   // per CPU, the fault already shown: a faulted CPU keeps reporting it
        var waiting = new Dictionary<int, string>();   // per patcher, what it was last seen waiting for: a wait repeats every turn
        foreach (var group in events.GroupBy(e => e.Step))
        {
            var cells = lanes.Select(_ => new List<TimelineEntry>()).ToArray();
            foreach (var e in group)
            {
                string text = EventText.Of(e);
                if (e is CpuFaulted f)
                {
                    if (faulted.TryGetValue(e.Cpu, out var shown) && shown == f.Fault) text = "(still faulted)";
                    faulted[e.Cpu] = f.Fault;
                }
                if (e is WriterWaits w)
                {
                    if (waiting.TryGetValue(e.Cpu, out var shown) && shown == w.For && !offending.Contains(e)) text = "(still waiting)";
                    waiting[e.Cpu] = w.For;
                }
                else if (e.ByWriter) waiting.Remove(e.Cpu);
                cells[LaneOf(e)].Add(new TimelineEntry(e, text, offending.Contains(e)));
            }
            rows.Add(new TimelineRow(group.Key, group.Max(e => e.Time), cells));
        }

        var explanation = Explanation.Of(c, causes);
        long lastStep = Math.Max(c.Result.Steps - 1, rows.Count == 0 ? 0 : rows[^1].Step);
        var items = Window(rows, v.FromStep, [.. explanation.Landmarks, .. causes.Select(x => x.Step)], lastStep);
        long marked = rows.FirstOrDefault(r => r.Offending)?.Step ?? v.Step;
        return new Timeline(c, HeaderOf(c, marked), lanes, items, explanation, lastStep, rows) { OffendingStep = marked, Causes = causes };
    }

    /// <summary>A lane per CPU that has events of its own code, then one per CPU that ran a patcher's steps.</summary>
    private static List<TimelineLane> LanesOf(IReadOnlyList<TraceEvent> events)
    {
        var cpus = events.Where(e => !e.ByWriter).Select(e => e.Cpu).Distinct().Order();
        var writers = events.Where(e => e.ByWriter).Select(e => e.Cpu).Distinct().Order();
        return cpus.Select(c => new TimelineLane($"cpu{c}", c, false))
            .Concat(writers.Select(c => new TimelineLane($"patcher (cpu{c})", c, true)))
            .ToList();
    }

    /// <summary>The rows to show: a window around the offending row, the stretch from FromStep, and the landmarks (the explanation's steps and the causal set); cuts between, over nothing else.</summary>
    private static List<TimelineItem> Window(List<TimelineRow> rows, long fromStep, IReadOnlyList<long> landmarks, long lastStep)
    {
        var items = new List<TimelineItem>();
        if (rows.Count == 0) return items;
        int at = rows.FindIndex(r => r.Offending);
        if (at < 0) at = rows.Count - 1;
        var keep = new bool[rows.Count];
        for (int i = Math.Max(0, at - RowsBefore); i <= Math.Min(rows.Count - 1, at + RowsAfter); i++) keep[i] = true;
        if (fromStep >= 0)
        {
            // The offending stretch (a visit, a livelock cycle): its start, and all of it when it is short.
            int start = rows.FindIndex(r => r.Step >= fromStep);
            if (start >= 0 && start <= at)
            {
                keep[start] = true;
                if (at - start <= 2 * RowsBefore) for (int i = start; i <= at; i++) keep[i] = true;
            }
        }
        foreach (long s in landmarks)
            if (rows.FindIndex(r => r.Step == s) is var i and >= 0) keep[i] = true;
        // A cut line takes the room of a row: gaps of one or two rows between shown rows are shown instead.
        for (int i = 0, last = -1; i < rows.Count; i++)
        {
            if (!keep[i]) continue;
            if (last >= 0 && i - last - 1 <= 2) for (int k = last + 1; k < i; k++) keep[k] = true;
            last = i;
        }

        long next = 0;   // the first step not yet shown or cut
        for (int i = 0; i < rows.Count; i++)
        {
            if (!keep[i]) continue;
            if (rows[i].Step > next) items.Add(new TimelineCut(next, rows[i].Step - 1, Earlier: i <= at));
            items.Add(rows[i]);
            next = rows[i].Step + 1;
        }
        if (lastStep >= next) items.Add(new TimelineCut(next, lastStep, Earlier: false));
        return items;
    }

    private static List<(string, string)> HeaderOf(Counterexample c, long marked)
    {
        var v = c.Violation;
        // The step the table marks; a violation found when the run had ended is marked at its CPU's last event.
        string at = marked == v.Step ? $"at step {marked}" : $"at step {marked} (its last event; found when the run ended, at its last step {v.Step})";
        var header = new List<(string, string)>
        {
            ("patcher", $"{c.Patcher}: {c.PatcherDescription}"),
            ("model", $"{c.Model}: {c.ModelDescription}{(c.NmiMayEndStiShadow ? " (an NMI may end the STI shadow)" : "")}"),
            ("property", $"{v.Property}, violated on cpu{v.Cpu} {at}"),
        };
        if (c.Seed is { } seed) header.Add(("seed", seed));
        if (c.ExplainCommand is { } command) header.Add(("replay", command));
        header.Add(("case", CaseNotation.Of(c.Case)));
        return header;
    }
}
