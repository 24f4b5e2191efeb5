using BenchmarkDotNet.Running;

namespace Conformance.Benchmarks;

/// <summary>
/// Entry point. Full BenchmarkDotNet run (Release only):
/// <code>dotnet run -c Release --project src/Conformance.Benchmarks -- --filter '*EmulatorThroughput*'</code>
/// add <c>--job short</c> for a run of about a minute. <c>--quick</c> skips BenchmarkDotNet and prints a
/// Stopwatch measurement of the same loop in a few seconds (for trying out an optimization).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
            return QuickThroughput.Run();
        if (args.Contains("--quick-machine"))
            return QuickMachineRuns.Run();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
