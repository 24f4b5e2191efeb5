using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using Conformance.Patching.Mutants;
using Conformance.Tests.Support;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// The exhaustive mode on the catalog (spec/exhaustive.md): the modern int3 protocol is verified
/// within 2 preemptions under every fetch model, the naive patcher and the no-sync-#2 mutant are
/// refuted, counterexamples replay from their schedule, and the reduction loses no outcome.
/// </summary>
public class ExhaustiveExplorerTests
{
    public static TheoryData<string> Models => new(FetchModelRegistry.BuiltIn.Select(m => m.Name));

    private static IFetchModel Model(string name) => FetchModelRegistry.BuiltIn.Single(m => m.Name == name);

    private static ExhaustiveScenario Scenario(IPatcher patcher, int cpus = 2, int sites = 1, bool irqsOff = false) =>
        ExhaustiveScenario.For(patcher, cpus, sites, out string? declined, irqsOff) ?? throw new InvalidOperationException(declined);

    [Theory]
    [MemberData(nameof(Models))]
    public void Text_poke_bp_is_verified_for_2_cpus_1_site_within_2_preemptions(string model)
    {
        var result = ExhaustiveExplorer.Explore(() => new TextPokeBp(), Model(model), Scenario(new TextPokeBp()).Case, new ExhaustiveBound(2));
        Assert.True(result.Outcome == ExhaustiveOutcome.Verified, result.Summary);
        Assert.Equal(0, result.BudgetHits);
        // Every level adds executions: the bound is not vacuous.
        Assert.All(result.ByPreemptions, n => Assert.True(n > 0));
        Assert.StartsWith("verified: no counterexample within 2 preemption(s), ", result.Summary);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_naive_patcher_is_refuted_with_a_torn_decode_that_replays_from_its_schedule(string model)
    {
        var scenario = Scenario(new NaiveTextPoke());
        var result = ExhaustiveExplorer.Explore(() => new NaiveTextPoke(), Model(model), scenario.Case, new ExhaustiveBound(2));
        Assert.Equal(ExhaustiveOutcome.Counterexample, result.Outcome);
        var cx = result.Counterexample!;
        Assert.Equal(OldNewOrTrap.Id, cx.Result.First!.Property);
        Assert.Equal(1, cx.Preemptions);   // deepening finds the fewest: with none, the sync's IPI serializes the reader first

        // The schedule alone replays it (also through the token the CLI prints).
        var token = ExhaustiveToken.Parse(new ExhaustiveToken("naive-text-poke", model, 2, 1, false, cx.Case.Schedule).ToString());
        var replayed = PatchCheck.Run(() => new NaiveTextPoke(), Model(model), scenario.WithSchedule(token.Schedule));
        Assert.Equal(cx.Result.Violations.Select(v => (v.Property, v.Cpu, v.Step, v.Clock)), replayed.Violations.Select(v => (v.Property, v.Cpu, v.Step, v.Clock)));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_mutant_without_sync_2_is_refuted_except_under_atomic(string model)
    {
        var result = ExhaustiveExplorer.Explore(() => new TextPokeBpWithoutSync2(), Model(model), Scenario(new TextPokeBpWithoutSync2()).Case, new ExhaustiveBound(2));
        if (model == "atomic")
        {
            // One moment per instruction, and the tail is written before the head: nothing to tear.
            Assert.True(result.Outcome == ExhaustiveOutcome.Verified, result.Summary);
            return;
        }
        Assert.True(result.Outcome == ExhaustiveOutcome.Counterexample, result.Summary);
        var cx = result.Counterexample!;
        Assert.Equal(OldNewOrTrap.Id, cx.Result.First!.Property);
        // Rostedt's "e8 ab 02 03 04": the new first byte (and rel32 byte 0, in its line) with the stale tail.
        Assert.Contains("torn decode", cx.Result.First.Message);
        Assert.Equal(2, cx.Preemptions);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_jmp_self_spin_scheme_is_decided_in_every_model(string model)
    {
        // A reader on the spin yields until another CPU takes a visible step, as a #BP retry does,
        // so no execution is cut by the step budget and the cell is decided, not incomplete.
        foreach (int sites in new[] { 1, 2 })
        {
            var result = ExhaustiveExplorer.Explore(() => new JmpSelfSpin(), Model(model), Scenario(new JmpSelfSpin(), sites: sites).Case, new ExhaustiveBound(2));
            if (model == "atomic")
            {
                Assert.True(result.Outcome == ExhaustiveOutcome.Verified, $"{sites} site(s): {result.Summary}");
                Assert.Equal(0, result.BudgetHits);
            }
            else
            {
                Assert.True(result.Outcome == ExhaustiveOutcome.Counterexample, $"{sites} site(s): {result.Summary}");
                Assert.Equal(OldNewOrTrap.Id, result.Counterexample!.Result.First!.Property);
            }
        }
    }

    [Fact]
    public void Spin_in_bp_deadlocks_when_the_site_runs_with_irqs_off()
    {
        var result = ExhaustiveExplorer.Explore(() => new SpinInBp(), new AtomicFetch(), Scenario(new SpinInBp(), irqsOff: true).Case, new ExhaustiveBound(2));
        Assert.Equal(ExhaustiveOutcome.Counterexample, result.Outcome);
        Assert.Equal(PatchCheck.Liveness, result.Counterexample!.Result.First!.Property);
    }

    /// <summary>What a reader saw and which properties failed: what the reduction must keep.</summary>
    private static HashSet<string> Outcomes(Func<IPatcher> create, string model, ExhaustiveBound bound, out long executions)
    {
        var seen = new HashSet<string>();
        var scenario = Scenario(create());
        var result = ExhaustiveExplorer.Explore(create, Model(model), scenario.Case, bound, stopAtFirst: false, observe: (d, r) =>
            seen.Add(string.Join(" | ", d.SiteFetches.Select(f => $"cpu{f.Cpu} {Forms.Hex(f.Bytes)}")) + " => " +
                     string.Join(",", r.Violations.Select(v => v.Property).Distinct())));
        executions = result.Executions;
        return seen;
    }

    [Theory]
    [InlineData("text-poke-bp", "block64", 2)]
    [InlineData("naive-text-poke", "block16", 1)]   // 2 iterations take seconds without the reduction
    [InlineData("mutant-text-poke-bp-no-sync2", "block64", 1)]
    public void The_reduction_loses_no_outcome(string patcher, string model, int iterations)
    {
        Func<IPatcher> create = patcher switch
        {
            "text-poke-bp" => () => new TextPokeBp(),
            "naive-text-poke" => () => new NaiveTextPoke(),
            _ => () => new TextPokeBpWithoutSync2(),
        };
        // Without the hashing: a pruned execution's outcome is only its prefix's.
        var reduced = Outcomes(create, model, new ExhaustiveBound(2, iterations) { Hashing = false }, out long withReduction);
        var full = Outcomes(create, model, new ExhaustiveBound(2, iterations) { Reduce = false, Hashing = false }, out long without);
        Assert.True(without > withReduction, $"{without} executions without the reduction, {withReduction} with");
        Assert.Equal(full.Order(StringComparer.Ordinal), reduced.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// What the visited-state hashing must keep: the verdict, every distinct fetch of site bytes (each
    /// state before a fetch is expanded at its first visit) and every property some execution violates.
    /// Whole executions cannot be compared: a pruned one ends at the state it shares with an earlier one.
    /// </summary>
    private static (ExhaustiveOutcome Outcome, string[] Fetches, string[] Properties, long Executions) Seen(Func<IPatcher> create, string model, ExhaustiveBound bound, bool stopAtFirst)
    {
        var fetches = new HashSet<string>();
        var properties = new HashSet<string>();
        var result = ExhaustiveExplorer.Explore(create, Model(model), Scenario(create()).Case, bound, stopAtFirst, observe: (d, r) =>
        {
            foreach (var f in d.SiteFetches) fetches.Add($"cpu{f.Cpu} 0x{f.Rip:x} {Forms.Hex(f.Bytes)}");
            foreach (var v in r.Violations) properties.Add(v.Property);
        });
        return (result.Outcome, fetches.Order(StringComparer.Ordinal).ToArray(), properties.Order(StringComparer.Ordinal).ToArray(), result.Executions);
    }

    [Theory]
    [InlineData("text-poke-bp", "block64", 2)]
    [InlineData("text-poke-bp", "architectural", 2)]
    [InlineData("naive-text-poke", "block16", 1)]
    [InlineData("mutant-text-poke-bp-no-sync2", "block64", 2)]
    [InlineData("mutant-text-poke-bp-no-sync2", "atomic", 2)]
    [InlineData("mutant-text-poke-bp-no-sync1", "block32", 1)]
    public void The_state_hashing_loses_no_outcome(string patcher, string model, int preemptions)
    {
        Func<IPatcher> create = patcher switch
        {
            "text-poke-bp" => () => new TextPokeBp(),
            "naive-text-poke" => () => new NaiveTextPoke(),
            "mutant-text-poke-bp-no-sync1" => () => new TextPokeBpWithoutSync1(),
            _ => () => new TextPokeBpWithoutSync2(),
        };
        var hashed = Seen(create, model, new ExhaustiveBound(preemptions), stopAtFirst: false);
        var plain = Seen(create, model, new ExhaustiveBound(preemptions) { Hashing = false }, stopAtFirst: false);
        Assert.True(plain.Executions >= hashed.Executions, $"{plain.Executions} executions without the hashing, {hashed.Executions} with");
        Assert.Equal(plain.Outcome, hashed.Outcome);
        Assert.Equal(plain.Fetches, hashed.Fetches);
        Assert.Equal(plain.Properties, hashed.Properties);
        // And the first counterexample is found in both (the verdict with the default stop).
        Assert.Equal(Seen(create, model, new ExhaustiveBound(preemptions) { Hashing = false }, true).Outcome, Seen(create, model, new ExhaustiveBound(preemptions), true).Outcome);
    }

    [Theory]
    [InlineData("text-poke-bp", "block16", ExhaustiveOutcome.Verified)]
    [InlineData("mutant-text-poke-bp-no-sync2", "block64", ExhaustiveOutcome.Counterexample)]
    [InlineData("mutant-text-poke-bp-no-sync2", "atomic", ExhaustiveOutcome.Verified)]
    public void With_no_preemption_bound_every_schedule_is_explored_and_the_verdict_says_so(string patcher, string model, ExhaustiveOutcome expected)
    {
        Func<IPatcher> create = patcher == "text-poke-bp" ? () => new TextPokeBp() : () => new TextPokeBpWithoutSync2();
        var result = ExhaustiveExplorer.Explore(create, Model(model), Scenario(create()).Case, new ExhaustiveBound(ExhaustiveBound.Unbounded, 1));
        Assert.True(result.Outcome == expected, result.Summary);
        if (expected == ExhaustiveOutcome.Verified) Assert.Contains("verified for every schedule of this scenario", result.Summary);
        // Cut by a step budget too small for the scenario: not every schedule, so incomplete, never verified.
        var cut = ExhaustiveExplorer.Explore(create, Model(model), Scenario(create()).Case, new ExhaustiveBound(ExhaustiveBound.Unbounded, 1, StepBudget: 12));
        if (expected == ExhaustiveOutcome.Verified) Assert.True(cut.Outcome == ExhaustiveOutcome.Incomplete, cut.Summary);
    }

    [Fact]
    public void The_exploration_order_is_fixed()
    {
        List<string> Order()
        {
            var order = new List<string>();
            ExhaustiveExplorer.Explore(() => new TextPokeBp(), new Block16Fetch(), Scenario(new TextPokeBp()).Case, new ExhaustiveBound(1), stopAtFirst: false,
                observe: (d, _) => order.Add($"{d.Preemptions} {d.Recorded}"));
            return order;
        }
        var first = Order();
        Assert.Equal(first, Order());
        Assert.Equal(first.Count, first.Distinct().Count());
        Assert.Equal(first.OrderBy(s => s[0]), first);   // fewest preemptions first
    }

    [Fact]
    public void Every_catalog_patcher_gets_a_scenario_it_accepts()
    {
        foreach (var p in PatcherRegistry.BuiltIn)
            foreach (int sites in new[] { 1, 2 })
            {
                var scenario = ExhaustiveScenario.For(p.Create(), 2, sites, out string? declined);
                Assert.True(scenario is not null, $"{p.Name}, {sites} site(s): {declined}");
                Assert.All(scenario.Case.Sites, s => Assert.True(p.Create().Accepts(new PatchSite(s.Name, s.Address, s.Kind, Workload.LengthOf(s.Kind))).Accepted));
            }
        // Site 0 of an ordinary call site straddles a 64-byte line two bytes in (Rostedt's split).
        Assert.Equal(62UL, Scenario(new TextPokeBp()).Case.Sites[0].Address % 64);
        Assert.Equal(30UL, Scenario(new TextPokeBp(), sites: 2).Case.Sites[1].Address % 64);
    }

    /// <summary>Stores into text outside its site, which the reduction assumes no writer does.</summary>
    public sealed class StrayTextWriter : IPatcher
    {
        public string Name => "test-stray-text";
        public string Description => "writes text outside its site (test-only)";
        public string Source => "tests";
        public IReadOnlyList<Expectation> Expectations { get; } = [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
        {
            yield return PatchContext.Store(Workload.TextBase + 0x1000, 0x90);
            foreach (var r in batch) yield return PatchContext.Store(r.Site.Address, r.New);
            yield return PatchContext.Sync();
        }
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("writes no int3");
    }

    [Fact]
    public void A_writer_that_stores_into_text_outside_its_sites_is_a_counterexample_found_at_the_store()
    {
        // The write guard refuses the store (patcher-wrote-outside), so the text the reduction relies on never changes.
        var result = ExhaustiveExplorer.Explore(() => new StrayTextWriter(), new AtomicFetch(), Scenario(new StrayTextWriter()).Case, new ExhaustiveBound(0));
        Assert.Equal(ExhaustiveOutcome.Counterexample, result.Outcome);
        var first = result.Counterexample!.Result.First!;
        Assert.Equal(OwnerMap.Violation, first.Property);
        Assert.Contains("0x401000", first.Message);
    }

    [Fact]
    public void A_small_budget_is_reported_not_hidden()
    {
        var result = ExhaustiveExplorer.Explore(() => new TextPokeBp(), new AtomicFetch(), Scenario(new TextPokeBp()).Case, new ExhaustiveBound(1, StepBudget: 10));
        Assert.True(result.BudgetHits > 0);
        Assert.Contains("cut by the 10-step budget", result.Summary);
    }

    [Fact]
    public void The_execution_limit_makes_the_result_incomplete()
    {
        var result = ExhaustiveExplorer.Explore(() => new TextPokeBp(), new AtomicFetch(), Scenario(new TextPokeBp()).Case, new ExhaustiveBound(2, MaxExecutions: 5));
        Assert.Equal(ExhaustiveOutcome.Incomplete, result.Outcome);
        Assert.Equal(5, result.Executions);
        Assert.StartsWith("incomplete: gave up after 5 executions", result.Summary);
    }

    [Theory]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1x5.0x3", "6 field(s)")]
    [InlineData("cx2:naive-text-poke:atomic:two:1:-:1x5:-", "CPU count 'two'")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:-:1y5:-", "'1y5', which is not CPUxSTEPS")]
    [InlineData("cx2:naive-text-poke:atomic:2:1:maybe:1x5:-", "IRQs field")]
    public void A_malformed_token_says_what_is_wrong(string body, string says)
    {
        var e = Assert.Throws<ArgumentException>(() => ExhaustiveToken.Parse(SealedToken.Of(body)));
        Assert.StartsWith("token damaged: ", e.Message);
        Assert.Contains(says, e.Message);
    }
}
