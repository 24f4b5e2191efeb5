using Conformance.Machine;

namespace Conformance.Patching.Mutants;

/// <summary>
/// The handler's lookup racing the batch, before it is published: the batch is made visible to the
/// #BP handler only after sync #1, so a CPU that traps on one of the fresh int3s finds no batch and
/// the int3 goes unclaimed ("Oops: int3"). Linux orders it the other way, in the comment of
/// <c>smp_text_poke_batch_finish</c>: "text_poke_array_refs = 1; WMB; write INT3" against the
/// handler's "INT3; RMB; if (text_poke_array_refs != 0)" (sources.md a.3).
/// </summary>
public sealed class TextPokeBpPublishedLate : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-published-late";
    protected override string What => "the batch published after the int3s and sync #1";
    public override string Source => "smp_text_poke_batch_finish's ordering comment \"text_poke_array_refs = 1 / WMB / write INT3\" vs \"INT3 / RMB / if (text_poke_array_refs != 0)\" (alternative.c; sources.md a.3)";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget, "a CPU that traps before the batch is published finds nothing: an unclaimed int3"),
    ];

    protected override int PublishBefore(List<WriterStep> steps) => SyncIndex(steps, 0) + 1;
}
