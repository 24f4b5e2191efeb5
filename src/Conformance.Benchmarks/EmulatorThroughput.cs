using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Conformance.Emulation;
using Conformance.Generators.Bench;

namespace Conformance.Benchmarks;

/// <summary>
/// Emulated instructions per second on one CPU running <see cref="ThroughputLoop"/> (the loop
/// <c>bench</c> times): 21 ordinary kernel-like instructions per iteration, no events. Each
/// invocation takes <see cref="Steps"/> steps, so the reported time is per instruction; the
/// <c>Instr/s</c> column turns it into instructions per second.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class EmulatorThroughput
{
    /// <summary>Steps per benchmark invocation.</summary>
    public const int Steps = 1_000_000;

    private Cpu _cpu = null!;

    [GlobalSetup]
    public void Setup() => _cpu = ThroughputLoop.CreateCpu();

    [Benchmark(OperationsPerInvoke = Steps, Description = "Step (ns/instruction)")]
    public ulong Step() => ThroughputLoop.Run(_cpu, Steps);

    /// <summary>The default config plus the instructions-per-second column.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new InstructionsPerSecondColumn());
    }

    /// <summary>Turns the mean time per operation (one instruction) into instructions per second.</summary>
    private sealed class InstructionsPerSecondColumn : IColumn
    {
        public string Id => nameof(InstructionsPerSecondColumn);
        public string ColumnName => "Instr/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Emulated instructions per second (1 / Mean)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            return stats is null || stats.Mean <= 0 ? "-" : $"{1e9 / stats.Mean / 1e6:N1} M";
        }
    }
}
