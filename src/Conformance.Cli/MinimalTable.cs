using Conformance.Generators.Bench;

namespace Conformance.Cli;

/// <summary>
/// <c>bench --minimal</c>: for every known-bad row, the minimized counterexample's CPUs, interrupts,
/// schedule runs and steps against the smallest the exhaustive explorer finds (spec/performance.md,
/// "Minimal counterexamples"), as a Markdown table. Exit 0 when every row the explorer reaches meets
/// the target, 1 otherwise.
/// </summary>
public static class MinimalTable
{
    public static int Print(string[]? only, int cap)
    {
        var rows = MinimalCounterexamples.Rows();
        if (only is { Length: > 0 })
        {
            foreach (var name in only)
                if (!rows.Any(r => r.Patcher.Name == name)) throw new UsageException($"--row {name}: not a known-bad row; known: {string.Join(", ", rows.Select(r => r.Patcher.Name))}");
            rows = rows.Where(r => only.Contains(r.Patcher.Name)).ToArray();
        }
        var table = new TextTable("known-bad row", "minimized (CPUs / irqs / runs / steps)", "property", "explorer (CPUs / irqs / runs / steps)", "explorer's scenario", "target");
        int missed = 0;
        foreach (var row in rows)
        {
            var m = MinimalCounterexamples.Measure(row, cap);
            string Size(CounterexampleSize? s) => s is null ? "-" : $"{s.Cpus} / {s.Interrupts} / {s.Runs} / {s.Steps}";
            string target = m.Minimized is null ? "not found" : m.Explorer is null ? "out of reach" : m.MeetsTarget ? "met" : "**missed**";
            if (m.Minimized is null || (m.Explorer is not null && !m.MeetsTarget)) missed++;
            table.Add(row.Name, Size(m.Minimized), m.Minimized?.Property ?? "-", Size(m.Explorer), m.ExplorerScenario ?? m.OutOfReach ?? "-", target);
            Console.Error.WriteLine($"bench: {row.Name}: {m.Minimized} | {m.Token}");
        }
        Console.Write(table);
        return missed == 0 ? Cli.Ok : Cli.Failed;
    }
}
