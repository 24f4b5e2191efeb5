namespace Conformance.Patching.Mutants;

/// <summary>
/// text-poke-bp without sync #1 (after the int3 stores): a CPU that fetched the first bytes before
/// the int3 can meet the new tail. Steven Rostedt's worked example, Nov 2018
/// (https://lkml.indiana.edu/hypermail/linux/kernel/1811.3/05768.html; sources.md f): "Without
/// sync #1, a CPU could see <c>e8 01 cd ef 01</c>"; the sync is step 2 of his 2012 ftrace protocol
/// ("2) Sync all cores", sources.md a.1).
/// </summary>
public class TextPokeBpWithoutSync1() : TextPokeBpWithoutSync(0)
{
    public override string Name => "mutant-text-poke-bp-no-sync1";
    protected override string What => "sync #1 (after the int3s) removed";
    public override string Source => "Rostedt's e8 01 02 03 04 -> e8 ab cd ef 01 example without sync #1 (lkml.indiana.edu 1811.3/05768; sources.md f, a.1)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("with one whole-instruction fetch unit there is nothing to tear") with { Models = ["atomic"] },
        Expect.Fail(FailureKind.TornDecode, "a stale first unit can meet the new tail"),
    ];
}
