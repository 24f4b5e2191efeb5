using Conformance.Machine;

namespace Conformance.Patching;

/// <summary>What history expects of a patcher under some conditions.</summary>
public enum ExpectedVerdict : byte
{
    /// <summary>No counterexample should exist.</summary>
    Pass,
    /// <summary>A counterexample must be found.</summary>
    Fail,
    /// <summary>The threads argue both ways: the suite decides.</summary>
    Undecided,
}

/// <summary>Why a known-bad patcher fails, as history tells it.</summary>
public enum FailureKind : byte
{
    TornDecode,
    SkippedCall,
    ClobberedRegister,
    CorruptedStack,
    ReusedStub,
    Deadlock,
    WrongTarget,
    /// <summary>Two patches of one site ran at once and their bytes mixed (no text_mutex).</summary>
    MixedWriters,
}

/// <summary>A site transition: the kind of instruction before and after.</summary>
public readonly record struct Transition(InstructionClass From, InstructionClass To)
{
    public override string ToString() => $"{From.ToString().ToLowerInvariant()}->{To.ToString().ToLowerInvariant()}";
}

/// <summary>What an instruction at a site does, for expectations and equivalence.</summary>
public enum InstructionClass : byte { Call, Jmp, Nop, Ret, Other }

/// <summary>
/// One declared expectation. It applies where every condition it names holds (a null condition
/// holds everywhere); a patcher's expectations are read in order and the first that applies wins.
/// </summary>
public sealed record Expectation(ExpectedVerdict Verdict, string Reason)
{
    /// <summary>Fetch models (by name) it applies to; null = every model.</summary>
    public IReadOnlyList<string>? Models { get; init; }
    /// <summary>Site transitions it applies to; null = every transition.</summary>
    public IReadOnlyList<Transition>? Transitions { get; init; }
    /// <summary>The callers' ABI it applies to; null = any.</summary>
    public Abi? Abi { get; init; }
    /// <summary>The NMI-in-STI-shadow switch it applies to; null = either.</summary>
    public bool? NmiMayEndStiShadow { get; init; }
    /// <summary>For a failure: the reason history gives.</summary>
    public FailureKind? Failure { get; init; }

    public bool AppliesTo(string model, Transition? transition, Abi? abi, bool nmiMayEndStiShadow) =>
        (Models is null || Models.Contains(model)) &&
        (Transitions is null || (transition is { } t && Transitions.Contains(t))) &&
        (Abi is null || Abi == abi) &&
        (NmiMayEndStiShadow is null || NmiMayEndStiShadow == nmiMayEndStiShadow);

    public override string ToString() => $"{Summary}: {Reason}";

    /// <summary>The verdict and its conditions, without the reason.</summary>
    public string Summary
    {
        get
        {
        var when = new List<string>();
        if (Models is not null) when.Add($"models {string.Join("/", Models)}");
        if (Transitions is not null) when.Add(string.Join("/", Transitions));
        if (Abi is not null) when.Add($"{Abi} ABI");
        if (NmiMayEndStiShadow is not null) when.Add(NmiMayEndStiShadow.Value ? "NMI may end the STI shadow" : "NMI held off by the STI shadow");
        string verdict = Verdict.ToString().ToLowerInvariant() + (Failure is { } f ? $" ({f})" : "");
        return when.Count == 0 ? verdict : $"{verdict} when {string.Join(", ", when)}";
        }
    }
}

/// <summary>Helpers to declare expectations tersely in a patcher.</summary>
public static class Expect
{
    public static readonly string[] AllModels = { "atomic", "block64", "block32", "block16", "architectural" };

    public static Expectation Pass(string reason) => new(ExpectedVerdict.Pass, reason);
    public static Expectation Fail(FailureKind why, string reason) => new(ExpectedVerdict.Fail, reason) { Failure = why };
    public static Expectation Undecided(string reason) => new(ExpectedVerdict.Undecided, reason);

    public static Transition T(InstructionClass from, InstructionClass to) => new(from, to);

    /// <summary>The first expectation that applies, or null.</summary>
    public static Expectation? For(IEnumerable<Expectation> rules, string model, Transition? transition, Abi? abi, bool nmiMayEndStiShadow) =>
        rules.FirstOrDefault(r => r.AppliesTo(model, transition, abi, nmiMayEndStiShadow));

    /// <summary>Every fetch model name the machine knows, for declaring "all but ...".</summary>
    public static string[] ModelsExcept(params string[] names) => FetchModelRegistry.BuiltIn.Select(m => m.Name).Except(names).ToArray();
}
