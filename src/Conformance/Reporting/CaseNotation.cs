using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Reporting;

/// <summary>
/// The one notation for a case (spec/timelines.md, "The case notation"), the same text in the tests'
/// messages, <c>replay</c>, <c>explain</c> and the JSON (<c>case.notation</c>): the CPUs; each site by
/// name with its kind, address, line offset, ABI and context (under a spinlock with IRQs off, with IRQs
/// off); the patch plan, each change as the old and new instruction in Iced's formatting with the
/// targets they go to; the tasks, IRQs-off CPUs, the schedule and the fetch choices.
/// Steps are written "step N", never "t" (which is the memory clock).
/// </summary>
public static class CaseNotation
{
    public static string Of(PatchCase c)
    {
        var parts = new List<string> { $"{c.Cpus} CPU{(c.Cpus == 1 ? "" : "s")}" };
        Workload? workload = null;
        string? unbuilt = null;
        if (c.Sites.Count > 0)
        {
            try { workload = WorkloadCache.Build(c.Sites, c.Targets); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { unbuilt = e.Message; }
        }
        parts.Add(c.Sites.Count == 0 ? "no site" : "sites " + string.Join(", ", c.Sites.Select(Site)));
        if (c.Batches.Count > 0 && c.Batches.Any(b => b.Count > 0))
            parts.Add("patch " + string.Join("; then ", c.Batches.Select(b => string.Join(", ", b.Select(ch => Change(c, workload, ch))))));
        if (c.Concurrent.Count > 0)
            parts.Add($"at the same time on cpu{c.Cpus - 2}: {string.Join(", ", c.Concurrent.Select(ch => Change(c, workload, ch)))}");
        if (unbuilt is not null) parts.Add($"(its workload does not build: {unbuilt})");
        parts.Add($"{c.TasksPerCpu} task{(c.TasksPerCpu == 1 ? "" : "s")} per CPU{(c.PatcherRunsSites ? " (the patching CPU runs the sites too)" : "")}" +
                  (c.InterruptsOffCpus.Count > 0 ? $", IF=0 around the sites on cpu{string.Join(",cpu", c.InterruptsOffCpus)}" : ""));
        parts.Add("schedule " + (c.Exploration is { } x ? $"explored by {x}" : Runs(c.Schedule)));
        parts.AddRange(Extras(c.Schedule));
        return string.Join("; ", parts) + ", then fair (every CPU in turn)";
    }

    /// <summary>A site: name, kind, address, line offset, ABI, and the context its code runs in.</summary>
    public static string Site(SiteSpec s)
    {
        string context = s.Spinlock ? ", under a spinlock with IRQs off" : s.InterruptsOff ? ", with IRQs off" : "";
        return $"{s.Name} ({Kind(s.Kind)} site at 0x{s.Address:x}, line offset {s.Address % 64}, {s.Abi} ABI{context})";
    }

    /// <summary>A change: the site's name, its old and new instruction (Iced), and the targets (or forms) they go to.</summary>
    private static string Change(PatchCase c, Workload? workload, PlannedChange ch)
    {
        string name = ch.Site >= 0 && ch.Site < c.Sites.Count ? c.Sites[ch.Site].Name : $"site {ch.Site}";
        bool forms = ch.Site >= 0 && ch.Site < c.Sites.Count && c.Sites[ch.Site].Forms is not null;
        string targets = $"({Target(ch.From, forms)} -> {Target(ch.To, forms)})";
        if (workload is null) return $"{name}: {targets}";
        var r = workload.Request(ch.Site, ch.From, ch.To);
        return $"{name}: {Disassembly.Format(r.Site.Address, r.Old)} -> {Disassembly.Format(r.Site.Address, r.New)} {targets}";
    }

    private static string Target(int k, bool forms) => forms ? $"form {k}" : k < 0 ? "NOP form" : $"target {k}";

    private static string Kind(SiteKind k) => k switch
    {
        SiteKind.CsCall => "cs-call",
        _ => k.ToString().ToLowerInvariant(),
    };

    private static string Runs(Schedule s)
    {
        string runs = string.Join(" ", s.Runs.Select(r => $"cpu{r.Cpu}x{r.Steps}"));
        return runs.Length == 0 ? "none" : runs;
    }

    private static IEnumerable<string> Extras(Schedule s)
    {
        if (s.Interrupts.Count > 0)
            yield return "interrupts " + string.Join(", ", s.Interrupts.Select(x =>
                $"{x.Kind} on cpu{x.Cpu} {(x.InShadow ? $"at its first interrupt shadow from step {x.AtStep} on" : $"before step {x.AtStep}")}"));
        if (s.FetchChoices.Any(f => f != 0)) yield return $"fetch choices [{string.Join(",", s.FetchChoices)}] (k: the k-th older version of a unit)";
    }
}
