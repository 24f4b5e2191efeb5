using Conformance.Emulation;

namespace Conformance.Machine;

/// <summary>One fetch unit of one fetch: its bytes [Start, End) were read as they were at <see cref="Moment"/>.</summary>
public readonly record struct FetchUnit(ulong Start, ulong End, long Moment);

/// <summary>
/// What a CPU fetched at one step: the bytes the instruction was decoded from and, for each fetch
/// unit it used, the moment that unit was read, so a torn decode can be explained. A fetch that
/// could only see current bytes has one unit read at <see cref="Time"/>.
/// </summary>
public sealed record FetchRecord(int Cpu, long Time, ulong Rip, byte[] Bytes, IReadOnlyList<FetchUnit> Units, DecodedInstruction? Instruction)
{
    /// <summary>The machine's global step the fetch happened in (-1 outside a machine run); set by the machine.</summary>
    public long Step { get; internal set; } = -1;

    /// <summary>Whether some unit was read before <see cref="Time"/> (the fetch saw stale bytes).</summary>
    public bool IsStale => Units.Any(u => u.Moment < Time);

    public override string ToString() =>
        $"cpu{Cpu} t={Time} fetch 0x{Rip:x}: {Convert.ToHexString(Bytes).ToLowerInvariant()} " +
        $"[{string.Join(", ", Units.Select(u => $"0x{u.Start:x}..0x{u.End:x}@{u.Moment}"))}] {Instruction}";
}
