using Conformance.Machine;

namespace Conformance.Checking;

/// <summary>A property violated in a run: which, where, when, and a sentence saying what was observed.</summary>
public sealed record Violation(string Property, int Cpu, long Time, string Message, FetchRecord? Fetch = null)
{
    public override string ToString() => $"{Property} violated on cpu{Cpu} at t={Time}: {Message}";
}
