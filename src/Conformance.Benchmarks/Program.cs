using BenchmarkDotNet.Running;
using Conformance.Generators.Bench;

namespace Conformance.Benchmarks;

/// <summary>
/// Entry point. Full BenchmarkDotNet run (Release only):
/// <code>dotnet run -c Release --project src/Conformance.Benchmarks -- --filter '*EmulatorThroughput*'</code>
/// add <c>--job short</c> for a run of about a minute. <c>--quick</c> and <c>--quick-machine</c> skip
/// BenchmarkDotNet and print <c>bench</c>'s Stopwatch measurement of the same workload in seconds
/// (for trying out an optimization); <c>dotnet run --project src/Conformance.Cli -- bench</c> prints every figure.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
            return Print(BenchSuite.Instructions(quick: false));
        if (args.Contains("--quick-machine"))
            return Print(BenchSuite.MachineRuns(quick: false));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int Print(Rate r)
    {
        Console.WriteLine($"{r.What}: median {r.MedianPerSecond:N0} {r.Unit}/s, best {r.BestPerSecond:N0}/s, " +
                          $"median by CPU time {r.CpuMedianPerSecond:N0}/s ({r.Rounds} rounds of {r.UnitsPerRound:N0})");
        return 0;
    }
}
