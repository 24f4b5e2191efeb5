using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching.Mutants;

/// <summary>A test-only mutation of <see cref="TextPokeBp"/>: its steps or its handler changed one way.</summary>
public abstract class TextPokeBpMutant : IPatcher
{
    private PatchRequest[] _batch = [];

    public abstract string Name { get; }
    public string Description => $"text-poke-bp mutated: {Name} (test-only)";
    public string Source => "tests: mutation of text-poke-bp";
    public abstract IReadOnlyList<Expectation> Expectations { get; }

    /// <summary>Whether the mutant holds text_mutex around its steps, as text-poke-bp does.</summary>
    protected virtual bool TakesTextMutex => true;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) =>
        TakesTextMutex ? TextMutex.Held(Unlocked(batch)) : Unlocked(batch);

    private IEnumerable<WriterStep> Unlocked(IReadOnlyList<PatchRequest> batch)
    {
        // The correct steps, mutated; the batch is published for the handler while they run (not when they are listed).
        var steps = Mutate(IntThreeProtocol.Steps(batch, _ => { }).ToList()).ToList();
        _batch = batch.OrderBy(r => r.Site.Address).ToArray();
        foreach (var step in steps) yield return step;
        _batch = [];
    }

    /// <summary>The mutation of the correct step list (int3s, sync, tails, sync, heads, sync).</summary>
    protected virtual IEnumerable<WriterStep> Mutate(List<WriterStep> steps) => steps;

    public virtual BreakpointResult OnBreakpoint(BreakpointContext context) => IntThreeProtocol.EmulateNew(_batch, context);

    protected PatchRequest? Find(ulong address) => IntThreeProtocol.Find(_batch, address);

    /// <summary>The index of the n-th sync (0-based) in a step list.</summary>
    protected static int SyncIndex(List<WriterStep> steps, int n) =>
        steps.Select((s, i) => (s, i)).Where(p => p.s is WriterStep.SyncCore).Skip(n).First().i;
}

/// <summary>A mutant with the n-th sync (0-based) of the protocol left out.</summary>
public abstract class TextPokeBpWithoutSync(int sync) : TextPokeBpMutant
{
    protected override IEnumerable<WriterStep> Mutate(List<WriterStep> steps)
    {
        steps.RemoveAt(SyncIndex(steps, sync));
        return steps;
    }
}

/// <summary>Without sync #2: a new first byte can meet a stale tail (Rostedt's "e8 ab 02 03 04").</summary>
public sealed class TextPokeBpWithoutSync2() : TextPokeBpWithoutSync(1)
{
    public override string Name => "mutant-text-poke-bp-no-sync2";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("one moment per instruction: the tail was written before the head") with { Models = ["atomic"] },
        Expect.Fail(FailureKind.TornDecode, "the new first unit can meet a stale tail"),
    ];
}

/// <summary>Without sync #3: the patcher returns while a CPU may still fetch the int3 or the old bytes.</summary>
public sealed class TextPokeBpWithoutSync3() : TextPokeBpWithoutSync(2)
{
    public override string Name => "mutant-text-poke-bp-no-sync3";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.WrongTarget, "after the patcher returns a CPU may still run a stale int3 (unclaimed) or the old instruction"),
    ];
}

/// <summary>The head written before the tail: for a NOP becoming a call, e8 followed by the NOP's bytes.</summary>
public sealed class TextPokeBpHeadBeforeTail : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-head-before-tail";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.TornDecode, "with the new first byte over the old tail, memory itself holds neither instruction"),
    ];
    protected override IEnumerable<WriterStep> Mutate(List<WriterStep> steps)
    {
        // int3s, sync, TAILS, sync, HEADS, sync  ->  int3s, sync, HEADS, sync, TAILS, sync
        int s1 = SyncIndex(steps, 0), s2 = SyncIndex(steps, 1), s3 = SyncIndex(steps, 2);
        var tails = steps.GetRange(s1 + 1, s2 - s1 - 1);
        var heads = steps.GetRange(s2 + 1, s3 - s2 - 1);
        return [.. steps.GetRange(0, s1 + 1), .. heads, steps[s2], .. tails, steps[s3]];
    }
}

/// <summary>The handler emulates the call with a wrong return address (the site itself instead of the next instruction).</summary>
public sealed class TextPokeBpWrongReturnAddress : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-wrong-return";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.CorruptedStack, "the caller returns to the wrong place"),
    ];
    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (Find(context.TrapAddress) is not { } r) return BreakpointResult.Declined("not in the batch");
        if (Forms.Classify(r.Site.Address, r.New) != InstructionClass.Call) return context.Emulate(r.Site, r.New);
        context.EmulateCall(r.Site.Address, Forms.Target(r.Site.Address, r.New)!.Value);   // should be r.Site.Next
        return BreakpointResult.Claimed;
    }
}

/// <summary>
/// The handler emulates the call but pushes site+4, inside the site: the visit leaves with the wrong
/// word on the stack (P2), and the callee's <c>ret</c> later lands mid-instruction (a P1 decode).
/// The P2 comes first; it is the cause.
/// </summary>
public sealed class TextPokeBpReturnInsideSite : TextPokeBpMutant
{
    public override string Name => "mutant-text-poke-bp-return-inside-site";
    public override IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Fail(FailureKind.CorruptedStack, "the callee returns into the middle of the site"),
    ];
    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        if (Find(context.TrapAddress) is not { } r) return BreakpointResult.Declined("not in the batch");
        if (Forms.Classify(r.Site.Address, r.New) != InstructionClass.Call) return context.Emulate(r.Site, r.New);
        context.EmulateCall(r.Site.Address + 4, Forms.Target(r.Site.Address, r.New)!.Value);   // should be r.Site.Next
        return BreakpointResult.Claimed;
    }
}
