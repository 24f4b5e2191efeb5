using Conformance.Machine;

namespace Conformance.Patching.Mutants;

/// <summary>
/// The handler's lookup racing the batch, after its release: the batch is cleared after the heads
/// are written but before sync #3, so a CPU still fetching a stale int3 (it has not serialized yet)
/// traps and finds no batch. The 2019 NULL <c>vec</c> bug: the batch cleared <c>bp_patching.vec</c>
/// and <c>nr_entries</c> with no sync and the handler oopsed at <c>poke_int3_handler+0x39</c>; fixed
/// by 285a54efe386 "x86/alternatives: Sync bp_patching update for avoiding NULL pointer exception"
/// (Masami Hiramatsu; sources.md a.1, a.6).
/// </summary>
public sealed class TextPokeBpReleasedBeforeSync3 : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-released-before-sync3";
    protected override string What => "the batch released after the heads, before sync #3";
    public override string Source => "285a54efe386 \"x86/alternatives: Sync bp_patching update for avoiding NULL pointer exception\" (the NULL vec oops at poke_int3_handler+0x39; sources.md a.6)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget, "a CPU that still fetches the int3 after the release finds no batch: an unclaimed int3"),
    ];

    protected override int ReleaseAfter(List<WriterStep> steps) => LastSync(steps) - 1;
}
