using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// The patching CPU running sites (<c>check --exhaustive --writer-runs-sites on</c>, spec/exhaustive.md):
/// its patching thread and its tasks are switched only by preempting timers, explored choices counted
/// against the interrupt bound; its tasks' steps are reader steps. A 1-CPU scenario then has readers.
/// </summary>
public class WriterRunsSitesTests
{
    private static ExhaustiveScenario Scenario(IPatcher patcher, int cpus, int tasks = 1, int patches = 1, bool irqsOff = false) =>
        ExhaustiveScenario.For(patcher, cpus, 1, out string? declined, irqsOff, tasks: tasks, patches: patches, writerRunsSites: true)
        ?? throw new InvalidOperationException(declined);

    private static Func<IPatcher> Create(string name) => PatcherRegistry.BuiltIn.Single(p => p.Name == name).Create;

    [Theory]
    [InlineData(1, 2, 2, 2, 2)]   // one CPU: every reader is a task of the patching CPU
    [InlineData(2, 1, 1, 1, 1)]   // and beside a reader CPU
    public void Text_poke_bp_is_verified_when_the_patching_cpu_runs_sites(int cpus, int preemptions, int interrupts, int tasks, int patches)
    {
        var scenario = Scenario(new TextPokeBp(), cpus, tasks, patches);
        Assert.True(scenario.WriterRunsSites);
        Assert.Contains("the patching CPU runs the sites too", scenario.ToString());
        var r = scenario.Explore(() => new TextPokeBp(), new Block16Fetch(), new ExhaustiveBound(preemptions) { Interrupts = interrupts });
        Assert.True(r.Outcome == ExhaustiveOutcome.Verified, r.Summary);
        Assert.Equal(0, r.BudgetHits);
    }

    /// <summary>
    /// Failures that need the patching CPU's own tasks, on one CPU: a trap on the patcher's own int3
    /// (the no-gap handler's call emulation overwrites the frame), a self-deadlock (spin-in-bp's task
    /// spins with IRQs off on the int3 of its own CPU's preempted patching thread), and a task left
    /// inside the reused stub (3 timers: out, back in with the task in the stub, the task switched out).
    /// With no explored interrupt the patching thread runs its patch in one go: nothing is found.
    /// </summary>
    [Theory]
    [InlineData("int3-emulate-call-no-gap", 1, 1, false, 1, "P2-equivalent-effect")]
    [InlineData("spin-in-bp", 1, 1, true, 1, "P4-liveness")]
    [InlineData("stub-per-call-reused", 2, 3, false, 2, "P3-completion")]
    public void A_one_cpu_failure_is_found_and_its_token_replays(string name, int preemptions, int interrupts, bool irqsOff, int tasks, string property)
    {
        var create = Create(name);
        var scenario = Scenario(create(), 1, tasks, irqsOff: irqsOff);
        var r = scenario.Explore(create, new AtomicFetch(), new ExhaustiveBound(preemptions) { Interrupts = interrupts });
        Assert.True(r.Outcome == ExhaustiveOutcome.Counterexample, r.Summary);
        Assert.Equal(property, r.Counterexample!.Result.First!.Property);
        Assert.NotEmpty(r.Counterexample.Case.Schedule.Interrupts);

        // The token names the shared CPU, so the replay rebuilds the same scenario and fails alike.
        var token = new ExhaustiveToken(name, "atomic", 1, 1, irqsOff, r.Counterexample.Case.Schedule) { Tasks = tasks, WriterRunsSites = true };
        Assert.Contains(":writer-runs-sites:", token.ToString());
        var parsed = ExhaustiveToken.Parse(token.ToString());
        Assert.True(parsed.WriterRunsSites);
        var again = ExhaustiveScenario.For(create(), parsed.Cpus, parsed.Sites, out _, parsed.InterruptsOff, tasks: parsed.Tasks, writerRunsSites: parsed.WriterRunsSites)!;
        var replayed = PatchCheck.Run(create, new AtomicFetch(), again.WithSchedule(parsed.Schedule));
        Assert.Contains(replayed.Violations, v => v.Property == property);

        var none = scenario.Explore(create, new AtomicFetch(), new ExhaustiveBound(preemptions) { Interrupts = 0 });
        Assert.True(none.Outcome == ExhaustiveOutcome.Verified, none.Summary);
    }

    /// <summary>The visited-state hashing keeps every verdict: with and without it, the same outcome and the same first counterexample.</summary>
    [Theory]
    [InlineData("text-poke-bp", 1, 2, 2, 2, false)]
    [InlineData("text-poke-bp", 2, 1, 1, 1, false)]
    [InlineData("int3-emulate-call-no-gap", 1, 1, 1, 1, false)]
    [InlineData("spin-in-bp", 1, 1, 1, 1, true)]
    [InlineData("stub-per-call-reused", 1, 2, 3, 2, false)]
    public void Hashing_changes_no_verdict_when_the_patching_cpu_runs_sites(string name, int cpus, int preemptions, int interrupts, int tasks, bool irqsOff)
    {
        var create = Create(name);
        var scenario = Scenario(create(), cpus, tasks, irqsOff: irqsOff);
        var bound = new ExhaustiveBound(preemptions) { Interrupts = interrupts };
        var hashed = scenario.Explore(create, new AtomicFetch(), bound);
        var plain = scenario.Explore(create, new AtomicFetch(), bound with { Hashing = false });
        Assert.True(hashed.Hashed && !plain.Hashed);
        Assert.Equal(plain.Outcome, hashed.Outcome);
        Assert.Equal(plain.Counterexample?.Result.Violations.Select(v => v.Property).Distinct().Order(), hashed.Counterexample?.Result.Violations.Select(v => v.Property).Distinct().Order());
        Assert.Equal(plain.Counterexample?.Case.Schedule.ToString(), hashed.Counterexample?.Case.Schedule.ToString());
    }

    /// <summary>
    /// The reduction loses no outcome on the shared CPU: with it off (a scheduling point after every
    /// step, every interrupt kind offered wherever a task has the CPU) the same fetches and verdicts.
    /// </summary>
    [Theory]
    [InlineData("text-poke-bp")]
    [InlineData("int3-emulate-call-no-gap")]
    public void The_reduction_loses_no_outcome_when_the_patching_cpu_runs_sites(string name)
    {
        var create = Create(name);
        var scenario = Scenario(create(), 1);
        string[] Seen(bool reduce)
        {
            var seen = new SortedSet<string>(StringComparer.Ordinal);
            scenario.Explore(create, new AtomicFetch(), new ExhaustiveBound(0, 1) { Interrupts = 1, Hashing = false, Reduce = reduce }, stopAtFirst: false, observe: (d, r) =>
                seen.Add(string.Join(" | ", d.SiteFetches.Select(f => $"cpu{f.Cpu} {Forms.Hex(f.Bytes)}")) + " => " +
                         string.Join(",", r.Violations.Select(v => v.Property).Distinct().Order(StringComparer.Ordinal))));
            return seen.ToArray();
        }
        Assert.Equal(Seen(reduce: false), Seen(reduce: true));
    }

    [Fact]
    public void A_token_without_the_field_is_of_a_patching_cpu_that_only_patches()
    {
        var schedule = new Schedule([new ScheduleRun(1, 6), new ScheduleRun(0, 8)], [], [0, 3]);
        var old = new ExhaustiveToken("naive-text-poke", "atomic", 2, 1, false, schedule);
        Assert.DoesNotContain("writer", old.ToString());
        Assert.False(ExhaustiveToken.Parse(old.ToString()).WriterRunsSites);
        Assert.Throws<ArgumentException>(() => ExhaustiveScenario.For(new TextPokeBp(), 1, 1, out _));   // one CPU needs the shared CPU
    }
}
