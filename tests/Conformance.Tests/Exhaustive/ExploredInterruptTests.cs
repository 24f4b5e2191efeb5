using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Exhaustive;

/// <summary>Interrupts as explored choices (spec/exhaustive.md, "Interrupts"): what they reach, and that a correct scheme stays verified.</summary>
public class ExploredInterruptTests
{
    private static ExhaustiveScenario Scenario(IPatcher patcher, int tasks, int patches = 1, bool nmi = false) =>
        ExhaustiveScenario.For(patcher, 2, 1, out string? declined, tasks: tasks, patches: patches, nmiMayEndStiShadow: nmi) ?? throw new InvalidOperationException(declined);

    [Fact]
    public void A_reused_stub_needs_a_preempting_timer_and_is_found_with_one()
    {
        var bound = new ExhaustiveBound(2);
        var without = Scenario(new StubPerCallReused(), tasks: 1).Explore(() => new StubPerCallReused(), new AtomicFetch(), bound);
        Assert.Equal(ExhaustiveOutcome.Verified, without.Outcome);
        var with = Scenario(new StubPerCallReused(), tasks: 2).Explore(() => new StubPerCallReused(), new AtomicFetch(), bound with { Interrupts = 1 });
        Assert.Equal(ExhaustiveOutcome.Counterexample, with.Outcome);
        Assert.Equal("P3-completion", with.Counterexample!.Result.First!.Property);
        var x = Assert.Single(with.Counterexample.Case.Schedule.Interrupts);
        Assert.Equal(InterruptKind.PreemptingTimer, x.Kind);
    }

    [Fact]
    public void The_sti_stub_falls_only_when_an_nmi_may_end_the_shadow()
    {
        var bound = new ExhaustiveBound(1) { Interrupts = 2 };
        var on = Scenario(new StubPerCallSti(), tasks: 2, nmi: true).Explore(() => new StubPerCallSti(), new AtomicFetch(), bound);
        Assert.Equal(ExhaustiveOutcome.Counterexample, on.Outcome);
        Assert.Contains(on.Counterexample!.Case.Schedule.Interrupts, x => x.Kind == InterruptKind.Nmi);
        var off = Scenario(new StubPerCallSti(), tasks: 2).Explore(() => new StubPerCallSti(), new AtomicFetch(), bound);
        Assert.Equal(ExhaustiveOutcome.Verified, off.Outcome);
    }

    /// <summary>
    /// The visited-state hashing with interrupts as choices: the same verdict and the same violated
    /// properties with and without it. (The key holds the interrupts delivered, so a state seen with
    /// fewer left never stands for one with more. Tried: with the count left out of the key these
    /// scenarios still agree. Why, and when it would matter, is spec/exhaustive.md's "Visited states":
    /// a preempting timer's task switch leaves a trace for good; an NMI's can vanish, but its steps
    /// make the path with it the longer one, and only steps that leave no trace either (a spin, a
    /// #BP retry, a spinlock's wait) could make up for them, which no NMI row of the catalog has.)
    /// </summary>
    [Theory]
    [InlineData("stub-per-call-reused", false, 1)]
    [InlineData("stub-per-call-sti", true, 2)]
    [InlineData("stub-per-call-sti", false, 2)]
    [InlineData("text-poke-bp", false, 1)]
    public void The_state_hashing_loses_no_outcome_with_explored_interrupts(string name, bool nmi, int interrupts)
    {
        Func<IPatcher> create = name switch
        {
            "stub-per-call-reused" => () => new StubPerCallReused(),
            "stub-per-call-sti" => () => new StubPerCallSti(),
            _ => () => new TextPokeBp(),
        };
        var scenario = Scenario(create(), tasks: 2, patches: 2, nmi: nmi);
        (ExhaustiveOutcome, string[]) Seen(bool hashing)
        {
            var properties = new SortedSet<string>(StringComparer.Ordinal);
            var r = scenario.Explore(create, new AtomicFetch(), new ExhaustiveBound(1) { Interrupts = interrupts, Hashing = hashing }, stopAtFirst: false,
                observe: (_, result) => { foreach (var v in result.Violations) properties.Add(v.Property); });
            return (r.Outcome, properties.ToArray());
        }
        var (plainOutcome, plainProperties) = Seen(hashing: false);
        var (hashedOutcome, hashedProperties) = Seen(hashing: true);
        Assert.Equal(plainOutcome, hashedOutcome);
        Assert.Equal(plainProperties, hashedProperties);
    }

    /// <summary>
    /// The reduction with explored interrupts (spec/exhaustive.md, "Interrupts"): without it every
    /// kind of interrupt (timer, preempting timer, NMI) is offered on every reader CPU after every
    /// step, and every fetch choice is enumerated; with it only the preempting timer (and an NMI in a
    /// shadow, with the switch) at visible steps. Both must see the same outcomes: every execution's
    /// fetches of site bytes and the properties it violates, hashing off on both sides (a pruned
    /// execution's outcome is only its prefix's). The reused stub needs the preempting timer: a row
    /// found only with an interrupt.
    /// </summary>
    [Theory]
    [InlineData("text-poke-bp", 2, "verified")]
    [InlineData("stub-per-call-reused", 2, "P3-completion")]
    [InlineData("naive-text-poke", 1, "P1-old-new-or-trap")]
    public void The_reduction_loses_no_outcome_with_explored_interrupts(string name, int patches, string verdict)
    {
        Func<IPatcher> create = name switch
        {
            "stub-per-call-reused" => () => new StubPerCallReused(),
            "naive-text-poke" => () => new NaiveTextPoke(),
            _ => () => new TextPokeBp(),
        };
        var scenario = Scenario(create(), tasks: 2, patches: patches);
        (string[] Outcomes, string[] Properties, long Executions) Seen(bool reduce)
        {
            var outcomes = new SortedSet<string>(StringComparer.Ordinal);
            var properties = new SortedSet<string>(StringComparer.Ordinal);
            var r = scenario.Explore(create, new AtomicFetch(), new ExhaustiveBound(1, 1) { Interrupts = 1, Hashing = false, Reduce = reduce }, stopAtFirst: false,
                observe: (d, result) =>
                {
                    var violated = result.Violations.Select(v => v.Property).Distinct().Order(StringComparer.Ordinal).ToArray();
                    foreach (var p in violated) properties.Add(p);
                    outcomes.Add(string.Join(" | ", d.SiteFetches.Select(f => $"cpu{f.Cpu} {Forms.Hex(f.Bytes)}")) + " => " + string.Join(",", violated));
                });
            return (outcomes.ToArray(), properties.ToArray(), r.Executions);
        }
        var reduced = Seen(reduce: true);
        var full = Seen(reduce: false);
        Assert.True(full.Executions > reduced.Executions, $"{full.Executions} executions without the reduction, {reduced.Executions} with");
        if (verdict == "verified") Assert.Empty(reduced.Properties);
        else Assert.Contains(verdict, reduced.Properties);
        Assert.Equal(full.Properties, reduced.Properties);
        Assert.Equal(full.Outcomes, reduced.Outcomes);
    }

    [Theory]
    [InlineData("atomic")]
    [InlineData("architectural")]
    public void Text_poke_bp_is_verified_with_a_preempting_timer_a_second_task_and_a_second_patch(string model)
    {
        var result = Scenario(new TextPokeBp(), tasks: 2, patches: 2).Explore(() => new TextPokeBp(), FetchModelRegistry.Get(model), new ExhaustiveBound(2) { Interrupts = 1, Hashing = false });
        Assert.Equal(ExhaustiveOutcome.Verified, result.Outcome);
        Assert.True(result.Executions > 1000, $"{result.Executions} executions: the timer should multiply them");
    }
}
