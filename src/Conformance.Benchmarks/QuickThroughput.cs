using System.Diagnostics;

namespace Conformance.Benchmarks;

/// <summary>
/// <c>--quick</c>: the <see cref="EmulatorThroughput"/> loop timed with a Stopwatch, no BenchmarkDotNet.
/// Less rigorous (one process, best and median of a few rounds), but it answers in seconds, which
/// is what trying an optimization needs. It also reports the rate per second of this process's CPU
/// time, which other load on a shared machine disturbs far less than wall-clock time.
/// </summary>
internal static class QuickThroughput
{
    private const int Rounds = 7, InvokesPerRound = 5;

    public static int Run()
    {
        var bench = new EmulatorThroughput();
        bench.Setup();
        for (int i = 0; i < 3; i++) bench.Step();   // warm up: tiered JIT reaches its optimized code
        var wall = new List<double>();
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int round = 0; round < Rounds; round++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < InvokesPerRound; i++) bench.Step();
            sw.Stop();
            process.Refresh();
            double instructions = (double)InvokesPerRound * EmulatorThroughput.Steps;
            wall.Add(instructions / sw.Elapsed.TotalSeconds);
            cpu.Add(instructions / (process.TotalProcessorTime - cpu0).TotalSeconds);
        }
        Console.WriteLine($"EmulatorThroughput --quick: {EmulatorThroughput.InstructionsPerIteration} instructions per loop iteration, " +
                          $"{Rounds} rounds of {InvokesPerRound * EmulatorThroughput.Steps:N0} steps");
        Print("wall clock", wall);
        Print("CPU time  ", cpu);
        return 0;
    }

    private static void Print(string what, List<double> rates)
    {
        rates.Sort();
        double median = rates[rates.Count / 2], best = rates[^1];
        Console.WriteLine($"  {what}: median {median / 1e6:N1} M instructions/s ({1e9 / median:N1} ns/instruction), " +
                          $"best {best / 1e6:N1} M ({1e9 / best:N1} ns)");
    }
}
