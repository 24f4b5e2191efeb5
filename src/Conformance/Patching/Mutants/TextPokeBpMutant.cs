using Conformance.Machine;
using Conformance.Patching.Catalog;

namespace Conformance.Patching.Mutants;

/// <summary>
/// A mutation of <see cref="TextPokeBp"/> that history produced or its reviewers feared: its steps,
/// the lifetime of the batch its #BP handler reads, or the handler itself changed one way. Not in
/// the catalog (<see cref="PatcherRegistry"/> leaves this namespace out); <see cref="MutantRegistry"/>
/// lists them and <c>check --mutants</c> runs them.
/// </summary>
public abstract class TextPokeBpMutant : IPatcher
{
    private PatchRequest[] _batch = [];

    public abstract string Name { get; }
    public string Description => $"text-poke-bp mutated: {What} (a mutant, not in the catalog)";
    /// <summary>The mutation in a few words.</summary>
    protected abstract string What { get; }
    public abstract string Source { get; }
    public abstract IReadOnlyList<Expectation> Expectations { get; }

    /// <summary>Whether the mutant holds text_mutex around its steps, as text-poke-bp does.</summary>
    protected virtual bool TakesTextMutex => true;

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) =>
        TakesTextMutex ? TextMutex.Held(Unlocked(batch)) : Unlocked(batch);

    private IEnumerable<WriterStep> Unlocked(IReadOnlyList<PatchRequest> batch)
    {
        // The correct steps, mutated; the batch is published for the handler while they run (not when
        // they are listed): before step PublishBefore, and released after step ReleaseAfter.
        var steps = Mutate(IntThreeProtocol.Steps(batch, _ => { }).ToList()).ToList();
        var published = Order(batch);
        int publish = PublishBefore(steps), release = ReleaseAfter(steps);
        for (int i = 0; i < steps.Count; i++)
        {
            if (i == publish) _batch = published;
            yield return steps[i];
            if (i == release) _batch = [];
        }
        _batch = [];
    }

    /// <summary>The mutation of the correct step list (int3s, sync, tails, sync, heads, sync).</summary>
    protected virtual IEnumerable<WriterStep> Mutate(List<WriterStep> steps) => steps;

    /// <summary>The array the handler searches: sorted by address, as <c>text_poke_array</c> must be.</summary>
    protected virtual PatchRequest[] Order(IReadOnlyList<PatchRequest> batch) => batch.OrderBy(r => r.Site.Address).ToArray();

    /// <summary>The step before which the batch is published (0: before the first int3).</summary>
    protected virtual int PublishBefore(List<WriterStep> steps) => 0;

    /// <summary>The step after which the batch is released (the last: after sync #3).</summary>
    protected virtual int ReleaseAfter(List<WriterStep> steps) => steps.Count - 1;

    public virtual BreakpointResult OnBreakpoint(BreakpointContext context) => IntThreeProtocol.EmulateNew(_batch, context);

    protected PatchRequest? Find(ulong address) => IntThreeProtocol.Find(_batch, address);

    /// <summary>The index of the n-th sync (0-based) in a step list.</summary>
    protected static int SyncIndex(List<WriterStep> steps, int n) =>
        steps.Select((s, i) => (s, i)).Where(p => p.s is WriterStep.SyncCore).Skip(n).First().i;

    /// <summary>The index of the last sync in a step list.</summary>
    protected static int LastSync(List<WriterStep> steps) => steps.FindLastIndex(s => s is WriterStep.SyncCore);
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
