using System.Globalization;
using Conformance.Machine;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// The replay token of an exhaustive counterexample: the format version, the patcher and model,
/// the scenario (CPUs, sites, IRQs-off sites) and the execution as schedule data (runs as
/// <c>CPUxSTEPS</c> joined by dots, fetch choices joined by dots, <c>-</c> for none), e.g.
/// <c>cx1:naive-text-poke:atomic:2:1:-:1x5.0x3.1x1:3</c>. <c>replay TOKEN</c> runs exactly that
/// execution again: the schedule says everything, so no bound is needed.
/// </summary>
public sealed record ExhaustiveToken(string Patcher, string Model, int Cpus, int Sites, bool InterruptsOff, Schedule Schedule)
{
    public const string Version = "cx1";

    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        string runs = Schedule.Runs.Count == 0 ? "-" : string.Join('.', Schedule.Runs.Select(r => $"{r.Cpu.ToString(inv)}x{r.Steps.ToString(inv)}"));
        string choices = Schedule.FetchChoices.Count == 0 ? "-" : string.Join('.', Schedule.FetchChoices.Select(c => c.ToString(inv)));
        return string.Join(':', Version, Patcher, Model, Cpus.ToString(inv), Sites.ToString(inv), InterruptsOff ? "irqs-off" : "-", runs, choices);
    }

    /// <summary>Whether <paramref name="text"/> looks like a token of this kind (of any version).</summary>
    public static bool Looks(string text) => text.TrimStart().StartsWith("cx", StringComparison.Ordinal);

    /// <summary>Parses a token; a malformed one, or one of another version, throws an <see cref="ArgumentException"/> saying which.</summary>
    public static ExhaustiveToken Parse(string text)
    {
        var p = text.Trim().Split(':');
        if (p.Length != 8) throw new ArgumentException($"exhaustive replay token '{text}' is not a token of this suite (expected 8 fields separated by ':')");
        if (p[0] != Version) throw new ArgumentException($"exhaustive replay token '{text}' is from format {p[0]}; this version of the suite reads {Version}");
        int cpus = Number(p[3], "CPU count", text), sites = Number(p[4], "site count", text);
        if (p[5] is not ("irqs-off" or "-")) throw new ArgumentException($"exhaustive replay token '{text}': the IRQs field must be 'irqs-off' or '-'");
        var runs = p[6] == "-" ? [] : p[6].Split('.').Select(r =>
        {
            var cs = r.Split('x');
            if (cs.Length != 2) throw new ArgumentException($"exhaustive replay token '{text}': run '{r}' is not CPUxSTEPS");
            return new ScheduleRun(Number(cs[0], "run CPU", text), Number(cs[1], "run length", text));
        }).ToArray();
        var choices = p[7] == "-" ? [] : p[7].Split('.').Select(c => Number(c, "fetch choice", text)).ToArray();
        return new ExhaustiveToken(p[1], p[2], cpus, sites, p[5] == "irqs-off", new Schedule(runs, Array.Empty<ScheduledInterrupt>(), choices));
    }

    private static int Number(string field, string what, string text) =>
        int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new ArgumentException($"exhaustive replay token '{text}': the {what} '{field}' is not a non-negative whole number");
}
