using System.Text.RegularExpressions;
using Conformance.Checking.Exhaustive;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Mutants;
using Conformance.Reporting;
using Conformance.Tests.Support;
using TimelineModel = Conformance.Reporting.Timeline;

namespace Conformance.Tests.Reporting;

/// <summary>
/// The causal window (spec/timelines.md, "The causal set"): for every known-bad row of the catalog
/// (the approved timelines' cells) and every mutant, the timeline of its counterexample shows every
/// step the violation depends on and every step a sentence of the explanation names, and marks the
/// violating event. No step number is written down here: the counterexamples may shrink further.
/// </summary>
public class CausalWindowTests
{
    public static TheoryData<string, string, bool> Rows() => ApprovedTimelineTests.Rows();

    public static TheoryData<string> Mutants()
    {
        var data = new TheoryData<string>();
        foreach (var m in MutantRegistry.All) data.Add(m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void A_known_bad_rows_timeline_shows_its_causal_steps_and_every_step_its_explanation_names(string patcher, string model, bool nmi)
    {
        var cell = MatrixCells.Get(patcher, model, nmi);
        Assert.False(cell.Passed, $"{patcher} under {model}: no counterexample at the tests' seed");
        AssertCausalWindow(MatrixCounterexample.Of(cell, PatcherRegistry.Get(patcher))!);
    }

    [Theory]
    [MemberData(nameof(Mutants))]
    public void A_mutants_timeline_shows_its_causal_steps_and_every_step_its_explanation_names(string name) =>
        AssertCausalWindow(MutantCounterexample(MutantRegistry.Get(name)));

    /// <summary>The NMI row of issue 14: its #BP, the handler's detour into the stub and the NMI delivered in the STI shadow are all shown.</summary>
    [Fact]
    public void The_sti_stubs_timeline_shows_the_trap_and_the_nmi_in_the_sti_shadow()
    {
        var cell = MatrixCells.Get("stub-per-call-sti", "atomic", true);
        var timeline = TimelineModel.Build(MatrixCounterexample.Of(cell, PatcherRegistry.Get("stub-per-call-sti"))!);
        var shown = timeline.Rows.SelectMany(r => r.Cells.SelectMany(c => c)).Select(e => e.Event).ToArray();
        var events = timeline.Source.Result.Events;
        int cpu = timeline.Source.Violation.Cpu;
        Assert.Contains(shown, e => e is BreakpointTrapped && e.Cpu == cpu);
        Assert.Contains(shown, e => e is HandlerAction && e.Cpu == cpu);
        var inShadow = events.OfType<EventDelivered>().Where(d => d.Cpu == cpu && d.What == "NMI" &&
            events.OfType<InstructionRetired>().LastOrDefault(r => r.Cpu == cpu && r.Step < d.Step) is { Instruction: { HostName: null } i } r &&
            i.Instruction.Mnemonic == Iced.Intel.Mnemonic.Sti &&
            // in the shadow: nothing else delivered to the CPU since its sti (other CPUs may step meanwhile)
            !events.OfType<EventDelivered>().Any(o => o.Cpu == cpu && o.Step > r.Step && o.Step < d.Step)).ToArray();
        Assert.NotEmpty(inShadow);
        Assert.All(inShadow, d => Assert.Contains(d, shown));
        Assert.Contains(timeline.Explanation.Lines, l => l.Contains("in the STI shadow of the sti at step", StringComparison.Ordinal));
    }

    /// <summary>"step 12", "steps 3 to 9", "steps 12-15", "steps 3, 19": every number a sentence names as a step.</summary>
    private static readonly Regex StepsNamed = new(@"\bsteps? (\d+(?:(?:, | to |-| and )\d+)*)", RegexOptions.CultureInvariant);

    public static IEnumerable<long> StepsIn(string sentence) =>
        StepsNamed.Matches(sentence).SelectMany(m => Regex.Matches(m.Groups[1].Value, @"\d+").Select(n => long.Parse(n.Value)));

    private static void AssertCausalWindow(Counterexample c)
    {
        var v = c.Violation;
        var timeline = TimelineModel.Build(c);
        var shown = timeline.Rows.Select(r => r.Step).ToHashSet();
        var withEvents = timeline.AllRows.Select(r => r.Step).ToHashSet();
        string who = $"{c.Patcher} under {c.Model} ({v.Property}, replay {c.Token})";

        // The violating event is marked, and only its row; the header's step is that row's.
        var marked = Assert.Single(timeline.Rows, r => r.Offending);
        Assert.Equal(marked.Step, timeline.OffendingStep);
        if (!v.AtRunEnd) Assert.True(v.Step == marked.Step, $"{who}: the violation is at step {v.Step}, the marked row at step {marked.Step}");
        else Assert.True(marked.Step <= v.Step, $"{who}: marked step {marked.Step} after the run's end {v.Step}");
        var offending = marked.Cells.SelectMany(x => x).Where(e => e.Offending).Select(e => e.Event).ToArray();
        Assert.Equal(CausalSet.Offending(c.Result.Events, v), offending);
        Assert.True(offending.Length == 1 || offending.All(e => e is not InstructionRetired { Instruction.HostName: not null }),
            $"{who}: a handler's return is marked beside the violating event: {string.Join("; ", offending.Select(EventText.Of))}");
        if (v.Fetch is { } fetch) Assert.Same(fetch, Assert.IsType<SiteFetched>(Assert.Single(offending)).Fetch);

        // Every causal step (from the trace) is a shown row, and the cuts hold none of them.
        Assert.NotEmpty(timeline.Causes);
        foreach (var cause in timeline.Causes)
            Assert.True(shown.Contains(cause.Step), $"{who}: causal step {cause.Step} ({cause.Why}) is cut");
        foreach (var cut in timeline.Items.OfType<TimelineCut>())
            Assert.DoesNotContain(timeline.Causes, x => x.Step >= cut.From && x.Step <= cut.To);

        // Every step a sentence names is in the explanation's structured list for that sentence, and shown (a step with no event has no row to show).
        Assert.Equal(timeline.Explanation.Lines.Count, timeline.Explanation.LineSteps.Count);
        for (int i = 0; i < timeline.Explanation.Lines.Count; i++)
        {
            string line = timeline.Explanation.Lines[i];
            foreach (long step in StepsIn(line))
            {
                Assert.True(timeline.Explanation.LineSteps[i].Contains(step), $"{who}: the sentence names step {step}, its structured list does not: {line}");
                Assert.True(shown.Contains(step) || !withEvents.Contains(step), $"{who}: the sentence names step {step}, which is cut: {line}");
            }
        }
        foreach (long step in timeline.Explanation.Landmarks)
            Assert.True(shown.Contains(step) || !withEvents.Contains(step), $"{who}: the explanation names step {step}, which is cut");
    }

    /// <summary>A mutant's counterexample: the random search's at the tests' seed (block16 first, as MutantKillTests), or the exhaustive explorer's where random search cannot reach it.</summary>
    private static Counterexample MutantCounterexample(MutantInfo mutant)
    {
        var order = mutant.Models.OrderBy(m => m == "block16" ? 0 : 1).ToArray();
        if (mutant.RandomOutOfReach is null)
        {
            foreach (var model in order)
            {
                var cell = MatrixCampaign.RunCell(mutant.Patcher, FetchModelRegistry.Get(model), false, 20, PropertySettings.DefaultSeed, failRuns: 500);
                if (!cell.Passed) return MatrixCounterexample.Of(cell, mutant.Patcher)!;
            }
            throw new InvalidOperationException($"{mutant.Name} survived every model where it must show");
        }
        var scenario = ExhaustiveScenario.For(mutant.Patcher.Create(), 2, mutant.ExhaustiveSites, out string? declined, adjacent: mutant.AdjacentSites)
            ?? throw new InvalidOperationException(declined);
        var fetchModel = FetchModelRegistry.Get(order[0]);
        var result = ExhaustiveExplorer.Explore(mutant.Patcher.Create, fetchModel, scenario.Case, new ExhaustiveBound(2, 2, 400, 20_000));
        var cx = result.Counterexample ?? throw new InvalidOperationException($"{mutant.Name} under {fetchModel.Name}: {result.Summary}");
        return new Counterexample(mutant.Name, mutant.Patcher.Description, fetchModel.Name, fetchModel.Description, false, cx.Case, cx.Result);
    }
}
