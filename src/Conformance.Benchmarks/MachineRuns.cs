using BenchmarkDotNet.Attributes;
using Conformance.Generators.Bench;
using Conformance.Machine;

namespace Conformance.Benchmarks;

/// <summary>
/// Whole machine runs per second on <see cref="MachineRunWorkload"/> (the workload <c>bench</c>
/// times): 4 CPUs, 2,000 steps of a uniform random schedule with interrupts and fetch choices,
/// under the block64 fetch model. <c>Reset</c> resets one machine between runs (what the checks do
/// for a layout they run again); <c>Fresh</c> builds it for every run. The allocation column shows
/// what a run costs beyond its steps.
/// </summary>
[MemoryDiagnoser]
public class MachineRuns
{
    public const int Schedules = 64;

    private Schedule[] _schedules = null!;
    private int _next;

    private MachineRunWorkload.Reusable _reusable = null!;

    [GlobalSetup]
    public void Setup()
    {
        _schedules = MachineRunWorkload.Schedules(Schedules);
        _reusable = new MachineRunWorkload.Reusable();
    }

    [Benchmark(Baseline = true, Description = "one 4-CPU, 2,000-step machine run, machine reset between runs")]
    public long Reset() => _reusable.Run(_schedules[_next++ % Schedules]).Steps;

    [Benchmark(Description = "one 4-CPU, 2,000-step machine run, machine built fresh")]
    public long Fresh() => MachineRunWorkload.RunFresh(_schedules[_next++ % Schedules]);
}
