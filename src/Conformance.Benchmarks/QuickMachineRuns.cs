using System.Diagnostics;

namespace Conformance.Benchmarks;

/// <summary><c>--quick-machine</c>: <see cref="MachineRuns"/> timed with a Stopwatch (seconds, not minutes).</summary>
internal static class QuickMachineRuns
{
    public static int Run()
    {
        var bench = new MachineRuns();
        bench.Setup();
        for (int i = 0; i < 200; i++) bench.Run();   // warm up
        var rates = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            const int runs = 2_000;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < runs; i++) bench.Run();
            rates.Add(runs / sw.Elapsed.TotalSeconds);
        }
        rates.Sort();
        Console.WriteLine($"MachineRuns --quick-machine: {MachineRuns.Cpus} CPUs, {MachineRuns.Steps:N0} steps per run: " +
                          $"median {rates[rates.Count / 2]:N0} runs/s, best {rates[^1]:N0} runs/s");
        return 0;
    }
}
