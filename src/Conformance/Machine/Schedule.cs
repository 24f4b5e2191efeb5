namespace Conformance.Machine;

/// <summary>Which interrupt a schedule raises.</summary>
public enum InterruptKind : byte
{
    /// <summary>A timer tick: maskable; its handler returns to the interrupted task.</summary>
    Timer,
    /// <summary>A timer tick that preempts: maskable; its handler switches the CPU to its next task.</summary>
    PreemptingTimer,
    /// <summary>A non-maskable interrupt; its handler returns to the interrupted code.</summary>
    Nmi,
}

/// <summary>A run of consecutive steps on one CPU.</summary>
public readonly record struct ScheduleRun(int Cpu, int Steps);

/// <summary>
/// An interrupt raised on <see cref="Cpu"/> just before global step <see cref="AtStep"/> (0-based);
/// with <see cref="InShadow"/>, just before the first step from <see cref="AtStep"/> on at which
/// the CPU stands in an interrupt shadow (after an <c>sti</c>): the one-instruction window the
/// NMI-in-STI-shadow question is about, which a step chosen at random rarely hits.
/// </summary>
public readonly record struct ScheduledInterrupt(long AtStep, int Cpu, InterruptKind Kind, bool InShadow = false)
{
    public override string ToString() => $"{Kind}@{AtStep}{(InShadow ? "+shadow" : "")}->cpu{Cpu}";
}

/// <summary>
/// A schedule is data: which CPU takes each step (as runs), when interrupts arrive, and the fetch
/// choices. Given the same schedule and the same machine, a run is the same, byte for byte.
/// </summary>
public sealed record Schedule(IReadOnlyList<ScheduleRun> Runs, IReadOnlyList<ScheduledInterrupt> Interrupts, IReadOnlyList<int> FetchChoices)
{
    public static Schedule Empty { get; } = new(Array.Empty<ScheduleRun>(), Array.Empty<ScheduledInterrupt>(), Array.Empty<int>());

    /// <summary>Total steps of the runs.</summary>
    public long TotalSteps => Runs.Sum(r => (long)r.Steps);

    /// <summary>Round-robin: each CPU in turn for <paramref name="stepsEach"/> steps, <paramref name="rounds"/> times.</summary>
    public static Schedule RoundRobin(int cpus, int rounds, int stepsEach = 1) =>
        new(Enumerable.Range(0, rounds).SelectMany(_ => Enumerable.Range(0, cpus).Select(c => new ScheduleRun(c, stepsEach))).ToArray(),
            Array.Empty<ScheduledInterrupt>(), Array.Empty<int>());

    /// <summary>
    /// Checks the schedule against a machine of <paramref name="cpus"/> CPUs. Bad data throws an
    /// <see cref="ArgumentException"/> that names the field and why.
    /// </summary>
    public void Validate(int cpus)
    {
        for (int i = 0; i < Runs.Count; i++)
        {
            var r = Runs[i];
            if (r.Cpu < 0 || r.Cpu >= cpus) throw new ArgumentException($"Runs[{i}].Cpu = {r.Cpu}: the machine has {cpus} CPU(s), numbered 0..{cpus - 1}");
            if (r.Steps < 0) throw new ArgumentException($"Runs[{i}].Steps = {r.Steps}: a run cannot have a negative number of steps");
        }
        for (int i = 0; i < Interrupts.Count; i++)
        {
            var x = Interrupts[i];
            if (x.Cpu < 0 || x.Cpu >= cpus) throw new ArgumentException($"Interrupts[{i}].Cpu = {x.Cpu}: no such CPU; the machine has {cpus} CPU(s), numbered 0..{cpus - 1}");
            if (x.AtStep < 0) throw new ArgumentException($"Interrupts[{i}].AtStep = {x.AtStep}: a step index cannot be negative");
            if (!Enum.IsDefined(x.Kind)) throw new ArgumentException($"Interrupts[{i}].Kind = {(int)x.Kind}: not an interrupt kind");
        }
        for (int i = 0; i < FetchChoices.Count; i++)
            if (FetchChoices[i] < 0) throw new ArgumentException($"FetchChoices[{i}] = {FetchChoices[i]}: a fetch choice counts versions back and cannot be negative");
    }

    public override string ToString() =>
        $"runs [{string.Join(" ", Runs.Select(r => $"cpu{r.Cpu}x{r.Steps}"))}] interrupts [{string.Join(" ", Interrupts)}] fetch [{string.Join(",", FetchChoices)}]";
}
