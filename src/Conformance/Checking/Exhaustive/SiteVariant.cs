using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// Which site kind, change and callers' ABI an exhaustive scenario's sites take (<c>check --exhaustive
/// --transitions</c>, <c>--abi</c>; spec/exhaustive.md, "The scenario, exactly"). A null
/// <see cref="Kind"/> and <see cref="Transition"/> are the default scenario's: the first kind the
/// patcher accepts and a retarget to a far target (else the first change it accepts). With a kind
/// and a transition, every site is of that kind and takes the accepted pair of targets of that
/// transition whose old and new bytes differ in the most places (a far target first), as a tear can
/// only show where they differ.
/// </summary>
public sealed record SiteVariant(SiteKind? Kind, Transition? Transition, Abi Abi = Abi.C)
{
    /// <summary>Today's scenario: the first accepted kind, a retarget, the C ABI.</summary>
    public static readonly SiteVariant Default = new(null, null);

    public bool IsDefault => Kind is null && Transition is null && Abi == Abi.C;

    /// <summary>The row's suffix in <c>check --exhaustive</c>'s output: <c>[call nop->call]</c>, <c>[callee-saved ABI]</c>, or nothing for the default.</summary>
    public string Label
    {
        get
        {
            var parts = new List<string>();
            if (Kind is { } k) parts.Add($"{Name(k)} {Transition}");
            if (Abi != Abi.C) parts.Add("callee-saved ABI");
            return parts.Count == 0 ? "" : $" [{string.Join(", ", parts)}]";
        }
    }

    /// <summary>The token's text: <c>KIND.FROM-TO.ABI</c> (<c>-</c> for a default part), e.g. <c>call.nop-call.cs</c>; <c>-</c> for the default.</summary>
    public string TokenText => IsDefault ? "-"
        : $"{(Kind is { } k ? Name(k) : "-")}.{(Transition is { } t ? $"{Lower(t.From)}-{Lower(t.To)}" : "-")}.{(Abi == Abi.C ? "c" : "cs")}";

    /// <summary>Reads <see cref="TokenText"/>; anything else throws an <see cref="ArgumentException"/> saying what.</summary>
    public static SiteVariant Parse(string text)
    {
        if (text == "-") return Default;
        var parts = text.Split('.');
        if (parts.Length != 3) throw new ArgumentException($"'{text}' is not KIND.FROM-TO.ABI");
        SiteKind? kind = parts[0] == "-" ? null
            : Enum.GetValues<SiteKind>().Cast<SiteKind?>().FirstOrDefault(k => Name(k!.Value) == parts[0]) ?? throw new ArgumentException($"'{parts[0]}' is not a site kind");
        Transition? transition = null;
        if (parts[1] != "-")
        {
            var ends = parts[1].Split('-');
            if (ends.Length != 2) throw new ArgumentException($"'{parts[1]}' is not FROM-TO");
            transition = new Transition(Class(ends[0]), Class(ends[1]));
        }
        if ((kind is null) != (transition is null)) throw new ArgumentException($"'{text}' gives a site kind without a transition or the other way round");
        var abi = parts[2] switch { "c" => Abi.C, "cs" => Abi.CalleeSaved, _ => throw new ArgumentException($"'{parts[2]}' is not an ABI (c or cs)") };
        return new SiteVariant(kind, transition, abi);
    }

    public override string ToString() => IsDefault ? "the first accepted change, C ABI" : Label.Trim(' ', '[', ']');

    private static string Name(SiteKind kind) => kind switch
    {
        SiteKind.CsCall => "cs-call",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Lower(InstructionClass c) => c.ToString().ToLowerInvariant();

    private static InstructionClass Class(string text) =>
        Enum.GetValues<InstructionClass>().Cast<InstructionClass?>().FirstOrDefault(c => Lower(c!.Value) == text) ?? throw new ArgumentException($"'{text}' is not an instruction class");
}
