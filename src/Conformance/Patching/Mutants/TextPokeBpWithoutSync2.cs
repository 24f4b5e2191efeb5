namespace Conformance.Patching.Mutants;

/// <summary>
/// text-poke-bp without sync #2 (after the tails): a new first byte can meet a stale tail. Steven
/// Rostedt's example again (sources.md f): "Without sync #2, it could see <c>e8 ab 02 03 04</c>
/// after the int3 is removed"; the sync Linux keeps although "According to Intel, this core syncing
/// is very likely not necessary" (alternative.c, sources.md a.2-a.3).
/// </summary>
public class TextPokeBpWithoutSync2() : TextPokeBpWithoutSync(1)
{
    public override string Name => "mutant-text-poke-bp-no-sync2";
    protected override string What => "sync #2 (after the tails) removed";
    public override string Source => "Rostedt's example without sync #2, \"e8 ab 02 03 04\" (lkml.indiana.edu 1811.3/05768; sources.md f); alternative.c's \"very likely not necessary\" sync (sources.md a.3 step 5)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("one moment per instruction: the tail was written before the head") with { Models = ["atomic"] },
        Expect.Fail(FailureKind.TornDecode, "the new first unit can meet a stale tail"),
    ];
}
