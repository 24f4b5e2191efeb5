using Conformance.Machine;

namespace Conformance.Patching.Mutants;

/// <summary>
/// A descriptor used after its lifetime: the batch's descriptor is dropped once the tails are
/// written and synced, while its int3s are still in memory, so every CPU that reaches a site before
/// the heads land traps into a handler whose descriptor is gone. What 1f676247f36a
/// "x86/alternatives: Implement a better poke_int3_handler() completion scheme" guards against
/// (Peter Zijlstra: "count the active INT3 handlers and wait for them to go away before proceeding
/// to clear/reuse the data"; sources.md a.1, a.3 step 8).
/// </summary>
public sealed class TextPokeBpDescriptorFreedEarly : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-descriptor-freed-early";
    protected override string What => "the descriptor freed after sync #2, its int3s still live";
    public override string Source => "1f676247f36a \"x86/alternatives: Implement a better poke_int3_handler() completion scheme\" (refcount the descriptor; sources.md a.1, a.3 step 8)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget, "a CPU that traps on a live int3 after the descriptor is freed finds nothing: an unclaimed int3"),
    ];

    protected override int ReleaseAfter(List<WriterStep> steps) => SyncIndex(steps, 1);
}
