using BenchmarkDotNet.Attributes;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Benchmarks;

/// <summary>
/// Generated scenarios checked end to end (FsCheck generation, realization, the machine run, every
/// property): one matrix cell expected to pass, <see cref="Cases"/> cases per invocation, so the
/// reported time and allocation are per case. <c>bench</c> times the same over every such cell.
/// </summary>
[MemoryDiagnoser]
public class ScenarioChecks
{
    public const int Cases = 50;

    [Params("text-poke-bp/block16", "static-call/atomic", "stub-per-call-sti/architectural")]
    public string Cell { get; set; } = "";

    private PatcherInfo _patcher = null!;
    private IFetchModel _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        var p = Cell.Split('/');
        _patcher = PatcherRegistry.Get(p[0]);
        _model = FetchModelRegistry.Get(p[1]);
    }

    [Benchmark(OperationsPerInvoke = Cases, Description = "one generated scenario checked")]
    public int Check() => MatrixCampaign.RunCell(_patcher, _model, false, Cases, PropertySettings.DefaultSeed).Runs;
}
