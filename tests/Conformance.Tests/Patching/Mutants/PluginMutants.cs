namespace Conformance.Tests.Patching.Mutants;

// The library's mutants no-sync1 and no-sync2 (src/Conformance/Patching/Mutants) as types of this
// assembly: the CLI and packaging tests load the test assembly as a plug-in that holds them.

/// <summary>The library's <see cref="Conformance.Patching.Mutants.TextPokeBpWithoutSync1"/>, as a plug-in type.</summary>
public sealed class TextPokeBpWithoutSync1 : Conformance.Patching.Mutants.TextPokeBpWithoutSync1;

/// <summary>The library's <see cref="Conformance.Patching.Mutants.TextPokeBpWithoutSync2"/>, as a plug-in type.</summary>
public sealed class TextPokeBpWithoutSync2 : Conformance.Patching.Mutants.TextPokeBpWithoutSync2;
