using System.Text.RegularExpressions;
using Conformance.Machine;

namespace Conformance.Tests.Machine;

/// <summary>Schedule strategies: a seed and a shape in, schedule data out, the same every time.</summary>
public class StrategyTests
{
    public static TheoryData<string> Strategies() => new(StrategyRegistry.BuiltIn.Select(s => s.Name));

    private static readonly ScheduleShape[] Shapes =
    [
        new(Cpus: 1, Steps: 1),
        new(Cpus: 2, Steps: 10),
        new(Cpus: 4, Steps: 300, MaxInterrupts: 5, MaxFetchChoice: 3, FetchChoices: 25),
        new(Cpus: 8, Steps: 1000, MaxInterrupts: 20, MaxFetchChoice: 1, FetchChoices: 3),
    ];

    private static readonly ulong[] Seeds = [0, 1, 2, 42, 0xDEAD_BEEF, ulong.MaxValue];

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Schedules_have_exactly_the_shapes_steps_on_cpus_in_range_and_validate(string name)
    {
        var strategy = StrategyRegistry.Get(name);
        foreach (var shape in Shapes)
            foreach (ulong seed in Seeds)
            {
                var s = strategy.Create(seed, shape);
                string where = $"{name} seed {seed} {shape}";
                Assert.True(shape.Steps == s.TotalSteps, $"{where}: {s.TotalSteps} steps");
                Assert.All(s.Runs, r => Assert.InRange(r.Cpu, 0, shape.Cpus - 1));
                Assert.All(s.Runs, r => Assert.True(r.Steps > 0, $"{where}: an empty run"));
                s.Validate(shape.Cpus);
                Assert.InRange(s.Interrupts.Count, 0, shape.MaxInterrupts);
                Assert.All(s.Interrupts, x =>
                {
                    Assert.InRange(x.AtStep, 0, shape.Steps - 1);
                    Assert.InRange(x.Cpu, 0, shape.Cpus - 1);
                    Assert.True(Enum.IsDefined(x.Kind));
                });
                Assert.Equal(shape.FetchChoices, s.FetchChoices.Count);
                Assert.All(s.FetchChoices, c => Assert.InRange(c, 0, shape.MaxFetchChoice));
            }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void The_same_seed_gives_the_same_schedule(string name)
    {
        foreach (var shape in Shapes)
            foreach (ulong seed in Seeds)
            {
                // Fresh instances: nothing may carry over from one call to the next.
                var first = StrategyRegistry.Get(name).Create(seed, shape);
                var again = ((IScheduleStrategy)Activator.CreateInstance(StrategyRegistry.Get(name).GetType())!).Create(seed, shape);
                Assert.Equal(first.ToString(), again.ToString());
                Assert.Equal(first.ToString(), StrategyRegistry.Get(name).Create(seed, shape).ToString());
            }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Different_seeds_give_different_schedules(string name)
    {
        var shape = Shapes[2];
        var schedules = Enumerable.Range(0, 20).Select(i => StrategyRegistry.Get(name).Create((ulong)i, shape).ToString()).ToArray();
        Assert.Equal(schedules.Length, schedules.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Zero_steps_give_no_runs(string name)
    {
        var s = StrategyRegistry.Get(name).Create(7, new ScheduleShape(3, 0));
        Assert.Empty(s.Runs);
        Assert.Empty(s.FetchChoices);
        s.Validate(3);
    }

    [Fact]
    public void Uniform_random_runs_are_1_to_8_steps()
    {
        var strategy = new UniformRandomStrategy();
        foreach (ulong seed in Seeds)
        {
            var s = strategy.Create(seed, Shapes[3]);
            Assert.All(s.Runs, r => Assert.InRange(r.Steps, 1, 8));
            Assert.True(s.Runs.Select(r => r.Cpu).Distinct().Count() > 1);
        }
    }

    [Fact]
    public void Pct_runs_at_most_one_run_per_priority_change_plus_one()
    {
        var strategy = new PctStrategy();
        foreach (var shape in Shapes)
            foreach (ulong seed in Seeds)
                Assert.InRange(strategy.Create(seed, shape).Runs.Count, 1, PctStrategy.Depth);
    }

    [Fact]
    public void Pct_moves_to_another_cpu_at_a_change_point()
    {
        var strategy = new PctStrategy();
        foreach (ulong seed in Seeds)
        {
            var runs = strategy.Create(seed, new ScheduleShape(4, 1000)).Runs;
            for (int i = 1; i < runs.Count; i++)
                Assert.NotEqual(runs[i - 1].Cpu, runs[i].Cpu);
        }
    }

    [Fact]
    public void The_registry_has_unique_kebab_case_names_with_descriptions()
    {
        var names = StrategyRegistry.BuiltIn.Select(s => s.Name).ToArray();
        Assert.Equal(new[] { "pct", "uniform-random" }, names);
        Assert.All(names, n => Assert.Matches(new Regex("^[a-z0-9]+(-[a-z0-9]+)*$"), n));
        Assert.All(StrategyRegistry.BuiltIn, s => Assert.False(string.IsNullOrWhiteSpace(s.Description)));
        var e = Assert.Throws<ArgumentException>(() => StrategyRegistry.Get("nope"));
        Assert.Contains("pct, uniform-random", e.Message);
    }

    [Fact]
    public void SplitMix_is_the_published_sequence()
    {
        // SplitMix64 seeded with 0: the first outputs of the reference implementation (Steele, Lea and Flood).
        var rng = new SplitMix(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.Next());
        Assert.Equal(0x06C45D188009454FUL, rng.Next());
        var bounded = new SplitMix(5);
        for (int i = 0; i < 100; i++) Assert.InRange(bounded.Below(7), 0, 6);
        Assert.Equal(0, bounded.Below(1));
        Assert.Equal(0, bounded.Below(0));
    }
}
