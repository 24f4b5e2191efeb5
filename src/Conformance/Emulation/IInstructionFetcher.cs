namespace Conformance.Emulation;

/// <summary>
/// Replaces a CPU's instruction fetch: the machine plugs in one that reads code bytes as a fetch
/// model allows (possibly stale) instead of the current bytes. Without one, a CPU decodes the
/// current bytes through the shared <see cref="DecodeCache"/>.
/// </summary>
public interface IInstructionFetcher
{
    /// <summary>The instruction at <paramref name="rip"/> as <paramref name="cpu"/> fetches it now, or null with the fault.</summary>
    DecodedInstruction? Fetch(Cpu cpu, ulong rip, out FaultKind fault);
}
