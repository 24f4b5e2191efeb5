using Conformance.Checking;
using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Generators.Campaigns;

/// <summary>The verdict for one instruction family (one mnemonic, all its supported forms).</summary>
public sealed record FamilyResult(string Family, IReadOnlyList<Code> Codes, int Cases, bool Passed, PropertyOutcome? Failure);

/// <summary>
/// The emulator's conformance job: for every supported instruction form, generated instances
/// checked against Iced (<see cref="IcedAgreement"/>). Each form gets its own seed derived from
/// the run's seed, so a family's verdict does not depend on which other families ran.
/// </summary>
public static class EmulatorCampaign
{
    /// <summary>The families, in a stable order (by mnemonic name).</summary>
    public static IReadOnlyList<(string Family, Code[] Codes)> Families { get; } =
        InstructionSet.SupportedCodes
            .GroupBy(FamilyOf)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.ToArray()))
            .ToArray();

    /// <summary>Jcc forms share one family; everything else is named by its mnemonic.</summary>
    public static string FamilyOf(Code code) =>
        code.IsJccShortOrNear() ? "jcc" : code.Mnemonic().ToString().ToLowerInvariant();

    public static IReadOnlyList<string> Problems(InstructionSample s) =>
        InstructionSampleBuilder.TryBuild(s, out var error) is { } built
            ? IcedAgreement.Check(built)
            : new[] { $"does not encode: {error}" };

    /// <summary>Runs <paramref name="runsPerForm"/> cases of each form of one family.</summary>
    public static FamilyResult RunFamily(string family, IReadOnlyList<Code> codes, int runsPerForm, ulong seed)
    {
        int cases = 0;
        foreach (var code in codes)
        {
            var settings = new PropertySettings(runsPerForm, seed + (ulong)code * 0x9E37_79B9UL, PropertySettings.DefaultGamma, EndSize: 20);
            var outcome = PropertyRunner.Run($"iced-agreement {code}", InstructionSampleGen.Of(code), Problems, settings);
            cases += outcome.Tests;
            if (!outcome.Passed) return new FamilyResult(family, codes, cases, false, outcome);
        }
        return new FamilyResult(family, codes, cases, true, null);
    }
}
