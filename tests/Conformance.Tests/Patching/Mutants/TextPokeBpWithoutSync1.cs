using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Mutants;

/// <summary>
/// Test-only mutant of <see cref="TextPokeBp"/>: the sync after the int3 stores is left out, so a
/// CPU that fetched the first bytes before the int3 can meet the new tail (Rostedt's vector).
/// Public so that it also serves as a plug-in in the CLI tests.
/// </summary>
public sealed class TextPokeBpWithoutSync1 : IPatcher
{
    private readonly TextPokeBp _correct = new();

    public string Name => "mutant-text-poke-bp-no-sync1";
    public string Description => "text-poke-bp without sync #1 (test-only mutant)";
    public string Source => "tests: mutation of text-poke-bp";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("with one whole-instruction fetch unit there is nothing to tear") with { Models = ["atomic"] },
        Expect.Fail(FailureKind.TornDecode, "a stale first unit can meet the new tail"),
    ];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        bool first = true;
        foreach (var step in _correct.Steps(context, batch))
        {
            if (step is WriterStep.SyncCore && first) { first = false; continue; }
            yield return step;
        }
    }

    public BreakpointResult OnBreakpoint(BreakpointContext context) => _correct.OnBreakpoint(context);
}
