namespace Conformance.Machine;

/// <summary>The shape of the schedules a strategy makes.</summary>
public sealed record ScheduleShape(int Cpus, int Steps, int MaxInterrupts = 0, int MaxFetchChoice = 0, int FetchChoices = 0);

/// <summary>
/// A strategy answers one question: given a seed, which schedule? It returns data; the machine
/// runs it. Adding a strategy is one new file implementing this with a parameterless constructor.
/// </summary>
public interface IScheduleStrategy
{
    /// <summary>Stable kebab-case name.</summary>
    string Name { get; }

    /// <summary>One line: how it picks.</summary>
    string Description { get; }

    Schedule Create(ulong seed, ScheduleShape shape);
}

/// <summary>SplitMix64: the one seeded source every strategy draws from (same seed, same numbers, any machine).</summary>
public struct SplitMix(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound).</summary>
    public int Below(int bound) => bound <= 1 ? 0 : (int)(Next() % (ulong)bound);
}

internal static class StrategyParts
{
    /// <summary>Interrupts and fetch choices, drawn the same way by every strategy.</summary>
    public static (ScheduledInterrupt[] Interrupts, int[] Choices) Extras(ref SplitMix rng, ScheduleShape shape)
    {
        var interrupts = new ScheduledInterrupt[rng.Below(shape.MaxInterrupts + 1)];
        for (int i = 0; i < interrupts.Length; i++)
            interrupts[i] = new ScheduledInterrupt(rng.Below(Math.Max(1, shape.Steps)), rng.Below(shape.Cpus), (InterruptKind)rng.Below(3));
        var choices = new int[shape.FetchChoices];
        for (int i = 0; i < choices.Length; i++)
            choices[i] = rng.Below(4) == 0 ? rng.Below(shape.MaxFetchChoice + 1) : 0;   // mostly coherent
        return (interrupts, choices);
    }
}
