using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linux's modern int3 protocol (<c>smp_text_poke_batch_finish</c>, arch/x86/kernel/alternative.c;
/// fd4363fff3d9, c0213b0ac03c, 1f676247f36a; seeds 000-004; sources.md a.3-a.4): an int3 over the
/// first byte of every site, sync; every tail, sync; every first byte, sync. The #BP handler finds
/// the trapping site in the sorted batch (bsearch) and emulates the <b>new</b> instruction, with
/// the 6-word entry stack gap that lets it push a return address.
/// </summary>
public sealed class TextPokeBp : IPatcher
{
    private PatchRequest[] _batch = [];

    public string Name => "text-poke-bp";
    public string Description => "int3 on every site, sync, tails, sync, heads, sync; #BP emulates the new instruction (Linux 5.6+)";
    public string Source => "torvalds/linux arch/x86/kernel/alternative.c smp_text_poke_batch_finish (fd4363fff3d9, c0213b0ac03c, 1f676247f36a); seeds 000-004";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("after sync #1 every CPU traps on the int3, which emulates the new instruction; tails are written while nobody can start the instruction"),
    ];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(IntThreeProtocol.Steps(batch, b => _batch = b));

    public BreakpointResult OnBreakpoint(BreakpointContext context) =>
        IntThreeProtocol.EmulateNew(_batch, context);
}
