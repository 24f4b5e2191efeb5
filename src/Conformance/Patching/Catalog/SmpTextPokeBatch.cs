using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// Linux's int3 patching as merged in 2025 (arch/x86/kernel/alternative.c after Ingo Molnar's
/// April 2025 rename series, Eric Dumazet's per-CPU refcounts 41e4ceece591 and Masami Hiramatsu's
/// 2aebf5ee43bf; sources.md a.1, a.3, a.4, a.6): every poke, single or batched, is queued into the
/// one <c>text_poke_array</c> with <c>smp_text_poke_batch_add</c>, which first flushes the array
/// (<c>smp_text_poke_batch_finish</c>) when it is full or when the new address is below the last
/// queued one (the handler bsearches it, so it must stay sorted); <c>smp_text_poke_single</c> is
/// <c>batch_add</c> + <c>batch_finish</c>. <c>batch_finish</c> sets every CPU's
/// <c>text_poke_array_refs</c> to 1, runs int3 / sync / tails / sync (if any) / heads / sync (if
/// any), then drops every CPU's reference and waits for each to reach 0. The handler takes its own
/// CPU's reference (<c>inc_not_zero</c>: zero means the int3 is not the array's), looks the site up
/// (<c>vec[0]</c> when there is one entry, bsearch otherwise) and emulates the new instruction.
/// </summary>
public sealed class SmpTextPokeBatch : IPatcher
{
    /// <summary><c>TEXT_POKE_ARRAY_MAX</c>: <c>PAGE_SIZE / sizeof(struct smp_text_poke_loc)</c> = 4096 / 16.</summary>
    public const int ArrayMax = 256;

    /// <summary><c>for_each_possible_cpu</c>: the CPUs whose references the batch sets and drops.</summary>
    public const int PossibleCpus = 64;

    private readonly List<PatchRequest> _array = [];   // text_poke_array.vec[0 .. nr_entries)
    private readonly int[] _refs = new int[PossibleCpus];  // text_poke_array_refs, per CPU

    public string Name => "smp-text-poke-batch";
    public string Description => "2025 API: single pokes and batches queued into one sorted text_poke_array (flushed when full or out of order), per-CPU refcounts; int3 / sync / tails / sync / heads / sync; #BP emulates the new instruction";
    public string Source => "torvalds/linux arch/x86/kernel/alternative.c smp_text_poke_batch_add/_finish, smp_text_poke_single, smp_text_poke_int3_handler (2025: 41e4ceece591 per-CPU refs, Ingo Molnar's rename series, 2aebf5ee43bf); sources.md a.3, a.4, a.6";
    public IReadOnlyList<Expectation> Expectations { get; } =
    [
        Expect.Pass("the modern int3 protocol with the 2025 bookkeeping: the array stays sorted (an out-of-order poke flushes first), a handler finds only the current batch's sites, and a stale int3 after the batch finds a zero reference"),
    ];

    /// <summary>The entries queued and not yet finished (for tests).</summary>
    public IReadOnlyList<PatchRequest> Queued => _array;

    /// <summary>CPU <paramref name="cpu"/>'s <c>text_poke_array_refs</c> (for tests).</summary>
    public int References(int cpu) => _refs[cpu];

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => TextMutex.Held(Unlocked(batch));

    /// <summary>The callers' sequence: <c>smp_text_poke_batch_add</c> for every request in the order given, then <c>smp_text_poke_batch_finish</c>.</summary>
    private IEnumerable<WriterStep> Unlocked(IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch)
            foreach (var step in BatchAdd(r)) yield return step;
        foreach (var step in BatchFinish()) yield return step;
    }

    /// <summary><c>smp_text_poke_batch_add</c>: flush first when the array is full or the address is out of order, then queue.</summary>
    private IEnumerable<WriterStep> BatchAdd(PatchRequest r)
    {
        if (_array.Count == ArrayMax || (_array.Count > 0 && r.Site.Address < _array[^1].Site.Address))
            foreach (var step in BatchFinish()) yield return step;
        _array.Add(r);   // __smp_text_poke_batch_add: the handler must not see it before the refs are set (it cannot: no int3 yet)
    }

    /// <summary><c>smp_text_poke_batch_finish</c> (<c>smp_text_poke_batch_process</c>).</summary>
    private IEnumerable<WriterStep> BatchFinish()
    {
        if (_array.Count == 0) yield break;
        var vec = _array.ToArray();
        for (int cpu = 0; cpu < PossibleCpus; cpu++) _refs[cpu] = 1;   // atomic_set_release(refs, 1); smp_wmb()
        foreach (var r in vec) yield return PatchContext.Store(r.Site.Address, Forms.Int3);
        yield return PatchContext.Sync();
        bool tails = false;
        foreach (var r in vec.Where(r => r.New.Length > 1))
        {
            yield return PatchContext.Store(r.Site.Address + 1, r.New[1..]);
            tails = true;
        }
        if (tails) yield return PatchContext.Sync();   // "very likely not necessary ... better safe than sorry"
        bool heads = false;
        foreach (var r in vec.Where(r => r.New[0] != Forms.Int3))
        {
            yield return PatchContext.Store(r.Site.Address, r.New[0]);
            heads = true;
        }
        if (heads) yield return PatchContext.Sync();
        for (int cpu = 0; cpu < PossibleCpus; cpu++)
        {
            int c = cpu;
            if (--_refs[c] != 0)   // !atomic_dec_and_test: a handler still holds it
                yield return new WriterStep.WaitUntil($"text_poke_array_refs[{c}] == 0", () => _refs[c] == 0);
        }
        _array.Clear();   // nr_entries = 0
    }

    /// <summary><c>smp_text_poke_int3_handler</c>.</summary>
    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        int cpu = context.Cpu.Id;
        if (_refs[cpu] == 0) return BreakpointResult.Declined($"text_poke_array_refs[{cpu}] is 0: the int3 at 0x{context.TrapAddress:x} is not the array's");
        _refs[cpu]++;   // raw_atomic_inc_not_zero(this_cpu_ptr(&text_poke_array_refs))
        try
        {
            var vec = _array.ToArray();
            PatchRequest? tpl = vec.Length == 1 ? (vec[0].Site.Address == context.TrapAddress ? vec[0] : null) : IntThreeProtocol.Find(vec, context.TrapAddress);
            return tpl is null
                ? BreakpointResult.Declined($"no entry of text_poke_array starts at 0x{context.TrapAddress:x}")
                : context.Emulate(tpl.Site, tpl.New);
        }
        finally { _refs[cpu]--; }   // smp_mb__before_atomic(); raw_atomic_dec(refs)
    }
}
