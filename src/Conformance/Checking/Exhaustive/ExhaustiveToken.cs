using System.Globalization;
using Conformance.Checking.Tokens;
using Conformance.Machine;
using F = Conformance.Checking.Tokens.TokenFields;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// The replay token of an exhaustive counterexample,
/// <c>cx2:PATCHER:MODEL:CPUS:SITES:IRQS:RUNS:CHOICES[:PLUGIN[:OFFSETS[:TASKS[:PATCHES[:NMI[:INTERRUPTS[:VARIANT[:SPINLOCK[:WRITER]]]]]]]]]:CHECKSUM</c>: the patcher and model,
/// the scenario (CPUs, sites, IRQs-off sites), the execution as schedule data (runs as
/// <c>CPUxSTEPS</c> joined by dots, fetch choices joined by dots, <c>-</c> for none), the plug-in
/// the patcher comes from, the sites' line offsets when they are not the preferred ones (a layout
/// class's representative, joined by dots), the rest of the scenario when it is not the default
/// (tasks per reader CPU, consecutive patches, <c>nmi</c> when an NMI may end the STI shadow), the
/// interrupts the execution was delivered (<c>KINDSTEPcCPU</c> joined by dots: <c>p</c> a preempting
/// timer, <c>n</c> an NMI, <c>t</c> a timer, raised just before global step STEP), the sites' kind, change and
/// ABI when not the default (<see cref="SiteVariant.TokenText"/>, e.g. <c>call.nop-call.cs</c>), <c>spinlock</c> when the sites
/// run under a spinlock, <c>writer-runs-sites</c> when the patching CPU runs the sites too, and a checksum (<see cref="TokenChecksum"/>), e.g.
/// <c>cx2:naive-text-poke:atomic:2:1:-:1x6.0x8.1x1:0.3:CHECKSUM</c>. <c>replay TOKEN</c> runs exactly
/// that execution again: the schedule says everything, so no bound is needed. Every field is
/// checked against what the format allows (runs within the step budget); fetch choices are checked
/// against the versions each fetch offers when the execution runs (<see cref="ExhaustiveTokenCheck"/>).
/// </summary>
public sealed record ExhaustiveToken(string Patcher, string Model, int Cpus, int Sites, bool InterruptsOff, Schedule Schedule)
{
    public const string Version = "cx2";

    /// <summary>The plug-in the patcher comes from, as given to <c>--plugin</c>; null for a built-in patcher.</summary>
    public string? Plugin { get; init; }

    /// <summary>The line offset of each site when the execution is of another layout than the preferred one (<c>--layout-classes</c>); null for the preferred.</summary>
    public IReadOnlyList<int>? Offsets { get; init; }

    /// <summary>Tasks per reader CPU (1 or 2).</summary>
    public int Tasks { get; init; } = 1;

    /// <summary>Consecutive patches (1 or 2).</summary>
    public int Patches { get; init; } = 1;

    /// <summary>Whether an NMI may end the STI shadow in the execution's machine.</summary>
    public bool NmiMayEndStiShadow { get; init; }

    /// <summary>The sites' kind, change and ABI when not the default (<c>--transitions all</c>, <c>--abi</c>).</summary>
    public SiteVariant Variant { get; init; } = SiteVariant.Default;

    /// <summary>Whether the sites run under a spinlock taken with IRQs off (<c>--irqs spinlock</c>).</summary>
    public bool Spinlock { get; init; }

    /// <summary>Whether the patching CPU runs the sites too (<c>--writer-runs-sites</c>); a token without the field is of a scenario where it does not.</summary>
    public bool WriterRunsSites { get; init; }

    /// <summary>The format: one row per field, in order. A new scenario field is one row here (before the plug-in, whose default lets it be left out).</summary>
    public static TokenFormat<ExhaustiveToken> Format { get; } = new("exhaustive replay token", Version, new ExhaustiveToken("", "", 0, 0, false, Schedule.Empty),
    [
        F.Text<ExhaustiveToken>("patcher", t => t.Patcher, (t, v) => t with { Patcher = v }),
        F.Text<ExhaustiveToken>("fetch model", t => t.Model, (t, v) => t with { Model = F.Known("fetch model", v, FetchModelRegistry.BuiltIn.Select(m => m.Name)) }),
        F.Int<ExhaustiveToken>("CPU count", 1, 8, t => t.Cpus, (t, v) => t with { Cpus = v }),   // a machine has 1 to 8 CPUs
        F.Int<ExhaustiveToken>("site count", 1, 8, t => t.Sites, (t, v) => t with { Sites = v }),
        F.Flag<ExhaustiveToken>("IRQs field", "irqs-off", t => t.InterruptsOff, (t, v) => t with { InterruptsOff = v }),
        new TokenField<ExhaustiveToken>("runs", t => WriteRuns(t.Schedule.Runs), (t, v) => t with { Schedule = t.Schedule with { Runs = ReadRuns(v) } }),
        new TokenField<ExhaustiveToken>("fetch choices", t => WriteChoices(t.Schedule.FetchChoices), (t, v) => t with { Schedule = t.Schedule with { FetchChoices = ReadChoices(v) } }),
        F.OptionalText<ExhaustiveToken>("plug-in", t => t.Plugin, (t, v) => t with { Plugin = v }),
        new TokenField<ExhaustiveToken>("line offsets", t => t.Offsets is { } o ? string.Join('.', o.Select(x => x.ToString(CultureInfo.InvariantCulture))) : "-",
            (t, v) => t with { Offsets = v == "-" ? null : v.Split('.').Select(x => Part(x, "line offset", v, 0, 63)).ToArray() }) { Default = "-" },
        F.Int<ExhaustiveToken>("tasks per CPU", 1, 2, t => t.Tasks, (t, v) => t with { Tasks = v }) with { Default = "1" },
        F.Int<ExhaustiveToken>("patch count", 1, ExhaustiveScenario.MaxPatches, t => t.Patches, (t, v) => t with { Patches = v }) with { Default = "1" },
        F.Flag<ExhaustiveToken>("NMI field", "nmi", t => t.NmiMayEndStiShadow, (t, v) => t with { NmiMayEndStiShadow = v }) with { Default = "-" },
        new TokenField<ExhaustiveToken>("interrupts", t => WriteInterrupts(t.Schedule.Interrupts),
            (t, v) => t with { Schedule = t.Schedule with { Interrupts = ReadInterrupts(v) } }) { Default = "-" },
        new TokenField<ExhaustiveToken>("site variant", t => t.Variant.TokenText, (t, v) => t with { Variant = ReadVariant(v) }) { Default = "-" },
        F.Flag<ExhaustiveToken>("spinlock field", "spinlock", t => t.Spinlock, (t, v) => t with { Spinlock = v }) with { Default = "-" },
        F.Flag<ExhaustiveToken>("writer field", "writer-runs-sites", t => t.WriterRunsSites, (t, v) => t with { WriterRunsSites = v }) with { Default = "-" },
    ], Validate);

    private static SiteVariant ReadVariant(string text)
    {
        try { return SiteVariant.Parse(text); }
        catch (ArgumentException e) { throw new TokenFieldException($"is not KIND.FROM-TO.ABI ({e.Message})"); }
    }

    public override string ToString() => Format.Write(this);

    /// <summary>Whether <paramref name="text"/> looks like a token of this kind (of any version).</summary>
    public static bool Looks(string text) => Format.Looks(text);

    /// <summary>Parses a token; a malformed or damaged one, or one of another version, throws an <see cref="ArgumentException"/> saying which.</summary>
    public static ExhaustiveToken Parse(string text) => Format.Read(text);

    private static string WriteRuns(IReadOnlyList<ScheduleRun> runs) =>
        runs.Count == 0 ? "-" : string.Join('.', runs.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Cpu}x{r.Steps}")));

    private static ScheduleRun[] ReadRuns(string text) => text == "-" ? [] : text.Split('.').Select(r =>
    {
        var cs = r.Split('x');
        if (cs.Length != 2) throw new TokenFieldException($"hold '{r}', which is not CPUxSTEPS");
        return new ScheduleRun(Part(cs[0], "CPU", r, 0, 7), Part(cs[1], "length", r, 1, ExhaustiveBound.MaxStepBudget));
    }).ToArray();

    private static string WriteInterrupts(IReadOnlyList<ScheduledInterrupt> interrupts) =>
        interrupts.Count == 0 ? "-" : string.Join('.', interrupts.Select(x =>
        {
            if (x.InShadow) throw new ArgumentException($"{x}: an exhaustive execution raises its interrupts at a step, never armed for a shadow");
            return string.Create(CultureInfo.InvariantCulture, $"{Letter(x.Kind)}{x.AtStep}c{x.Cpu}");
        }));

    private static char Letter(InterruptKind kind) => kind switch { InterruptKind.PreemptingTimer => 'p', InterruptKind.Nmi => 'n', _ => 't' };

    private static ScheduledInterrupt[] ReadInterrupts(string text) => text == "-" ? [] : text.Split('.').Select(x =>
    {
        InterruptKind? kind = x.Length == 0 ? null : x[0] switch { 'p' => InterruptKind.PreemptingTimer, 'n' => InterruptKind.Nmi, 't' => InterruptKind.Timer, _ => null };
        var parts = x.Length > 1 ? x[1..].Split('c') : [];
        if (kind is null || parts.Length != 2) throw new TokenFieldException($"hold '{x}', which is not KINDSTEPcCPU (p, n or t, a step, c, a CPU)");
        return new ScheduledInterrupt(Part(parts[0], "step", x, 0, ExhaustiveBound.MaxStepBudget), Part(parts[1], "CPU", x, 0, 7), kind.Value);
    }).ToArray();

    private static string WriteChoices(IReadOnlyList<int> choices) =>
        choices.Count == 0 ? "-" : string.Join('.', choices.Select(c => c.ToString(CultureInfo.InvariantCulture)));

    // A fetch chooses among the versions its unit had; each version is a store, and a store takes a step.
    private static int[] ReadChoices(string text) => text == "-" ? [] : text.Split('.').Select(c => Part(c, "choice", c, 0, ExhaustiveBound.MaxStepBudget)).ToArray();

    private static int Part(string text, string what, string item, int min, int max)
    {
        try { return F.Number(text, min, max); }
        catch (TokenFieldException e) { throw new TokenFieldException($"hold '{item}', whose {what} '{text}' {e.Message}"); }
    }

    private static void Validate(ExhaustiveToken t)
    {
        if (t.Offsets is { } offsets && offsets.Count != t.Sites)
            throw new TokenFieldException($"it gives {offsets.Count} line offset(s) for {t.Sites} site(s)");
        var runs = t.Schedule.Runs;
        for (int i = 0; i < runs.Count; i++)
            if (runs[i].Cpu >= t.Cpus)
                throw new TokenFieldException($"run #{i} ({runs[i].Cpu}x{runs[i].Steps}) is on cpu{runs[i].Cpu}, but the scenario has {t.Cpus} CPU(s), numbered 0 to {t.Cpus - 1}");
        var interrupts = t.Schedule.Interrupts;
        for (int i = 0; i < interrupts.Count; i++)
        {
            if (interrupts[i].Cpu >= t.Cpus)
                throw new TokenFieldException($"interrupt #{i} ({interrupts[i]}) is on cpu{interrupts[i].Cpu}, but the scenario has {t.Cpus} CPU(s), numbered 0 to {t.Cpus - 1}");
            if (i > 0 && interrupts[i].AtStep < interrupts[i - 1].AtStep)
                throw new TokenFieldException($"interrupt #{i} ({interrupts[i]}) comes before the one listed ahead of it: an execution's interrupts are in the order they were raised");
        }
        long total = t.Schedule.TotalSteps;
        if (total > ExhaustiveBound.MaxStepBudget)
            throw new TokenFieldException($"the runs add up to {total:N0} steps, more than an execution may take ({ExhaustiveBound.MaxStepBudget:N0})");
        if (interrupts.Count > 0 && interrupts[^1].AtStep >= total)
            throw new TokenFieldException($"interrupt {interrupts[^1]} is raised before step {interrupts[^1].AtStep}, but the runs take only {total} step(s)");
    }
}
