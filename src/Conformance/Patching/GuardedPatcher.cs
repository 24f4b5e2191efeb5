using System.Reflection;
using Conformance.Machine;

namespace Conformance.Patching;

/// <summary>
/// A plug-in patcher behind a guard: every call into its code (the constructor and every member of
/// <see cref="IPatcher"/>, and each <c>WaitUntil</c> condition its steps hand the machine) is marked
/// in <see cref="PluginCalls"/>, so a watchdog can say which member hung, and a throw becomes a
/// one-line error naming the plug-in (name, assembly, type), the member and the cause.
/// </summary>
/// <remarks>
/// <para>What a plug-in declares (<see cref="Name"/>, <see cref="Description"/>, <see cref="Source"/>,
/// <see cref="Expectations"/>, <see cref="BreakpointStackGap"/>, <see cref="ReusesStubs"/>,
/// <see cref="HoldingInstructions"/>) is read once, when the instance is made, and checked: a null,
/// an empty or unusable name, a null list or item, a name that differs from an earlier instance's.
/// A fault there, in the constructor or in <c>Accepts</c> stops the cell (<see cref="PluginFaultException"/>,
/// told first to <see cref="PluginCalls.OnFatal"/>). A throw while the patcher runs on the machine
/// (in <c>Steps</c>, a condition, <c>OnBreakpoint</c>) is what the run found: the writer stops with the
/// message, or the #BP handler declines with it, as for a built-in patcher.</para>
/// <para>Every member of <see cref="IPatcher"/> must be forwarded here explicitly: a default
/// interface member left out would silently replace the plug-in's own (a test checks it).</para>
/// </remarks>
public sealed class GuardedPatcher : IPatcher
{
    /// <summary>The most words of stack gap a #BP entry may leave (Linux's is 6).</summary>
    public const int MaxStackGap = 64;

    private readonly IPatcher _inner;
    private readonly SiteDecisionCheck _decisions;

    private GuardedPatcher(IPatcher inner, PluginOrigin origin, string? expectedName)
    {
        _inner = inner;
        Origin = origin;
        _decisions = new SiteDecisionCheck(this);
        string? name = Read(PluginMember.Name, () => inner.Name);
        _name = CheckName(name, expectedName);
        Description = Read(PluginMember.Description, () => inner.Description) ?? throw Bad(PluginMember.Description, "null");
        Source = Read(PluginMember.Source, () => inner.Source) ?? throw Bad(PluginMember.Source, "null");
        Expectations = CheckExpectations(Read(PluginMember.Expectations, () => inner.Expectations));
        BreakpointStackGap = Read(PluginMember.BreakpointStackGap, () => inner.BreakpointStackGap);
        if (BreakpointStackGap is < 0 or > MaxStackGap)
            throw Bad(PluginMember.BreakpointStackGap, $"{BreakpointStackGap} words (a gap is 0 to {MaxStackGap}; Linux's is 6)");
        ReusesStubs = Read(PluginMember.ReusesStubs, () => inner.ReusesStubs);
        HoldingInstructions = CheckHolding(Read(PluginMember.HoldingInstructions, () => inner.HoldingInstructions));
        HoldingAt = CheckHoldingAt(Read(PluginMember.HoldingAt, () => inner.HoldingAt));
    }

    /// <summary>Makes an instance of the plug-in type <paramref name="type"/> under the guard; <paramref name="expectedName"/>, if given, is the name an earlier instance gave.</summary>
    public static GuardedPatcher Create(Type type, PluginOrigin origin, string? expectedName = null)
    {
        if (PluginCalls.Forbidden)
            throw new InvalidOperationException($"{origin}: this process runs no plug-in code (plug-ins run in a worker process); this is a bug of the suite");
        IPatcher inner;
        using (PluginCalls.Enter(origin, expectedName, PluginMember.Constructor, 0))
        {
            try { inner = (IPatcher)Activator.CreateInstance(type)!; }
            catch (TargetInvocationException e) when (e.InnerException is { } thrown) { throw Fatal(origin, expectedName, PluginMember.Constructor, 0, thrown); }
            catch (Exception e) { throw Fatal(origin, expectedName, PluginMember.Constructor, 0, e); }
        }
        return new GuardedPatcher(inner, origin, expectedName);
    }

    /// <summary>A patcher made elsewhere, behind the guard (an instance already guarded is returned as it is).</summary>
    public static GuardedPatcher Wrap(IPatcher patcher) =>
        patcher as GuardedPatcher ?? new GuardedPatcher(patcher, PluginOrigin.Of(patcher.GetType()), null);

    /// <summary>The plug-in's assembly and type.</summary>
    public PluginOrigin Origin { get; }

    /// <summary>The plug-in as messages name it: <c>my-x (My.dll: My.Patcher)</c>.</summary>
    public string Plugin => $"{_name} ({Origin})";

    // Null only while the instance is being made, before its name is read.
    private readonly string? _name;

    public string Name => _name!;
    public string Description { get; }
    public string Source { get; }
    public IReadOnlyList<Expectation> Expectations { get; }
    public int BreakpointStackGap { get; }
    public bool ReusesStubs { get; }
    public IReadOnlyList<byte[]> HoldingInstructions { get; }
    public IReadOnlyList<HoldingInstruction> HoldingAt { get; }

    public IReadOnlyList<CodeRange> OwnedBytes(PatchRequest request)
    {
        using var call = PluginCalls.Enter(Origin, _name, PluginMember.OwnedBytes, 0);
        IReadOnlyList<CodeRange>? owned;
        try { owned = _inner.OwnedBytes(request); }
        catch (Exception e) when (e is not PluginFaultException) { throw Fatal(Origin, _name, PluginMember.OwnedBytes, 0, e); }
        if (owned is null) return [];
        var copy = owned.ToArray();
        for (int i = 0; i < copy.Length; i++)
            if (copy[i] is null || copy[i].Length <= 0) throw Bad(PluginMember.OwnedBytes, $"{(copy[i] is null ? "a null" : "an empty")} range (item {i + 1})");
        return copy;
    }

    public SiteDecision Accepts(PatchSite site)
    {
        using var call = PluginCalls.Enter(Origin, _name, PluginMember.AcceptsSite, 0);
        try { return _decisions.Check(_inner.Accepts(site), PluginMember.AcceptsSite); }
        catch (Exception e) when (e is not PluginFaultException) { throw Fatal(Origin, _name, PluginMember.AcceptsSite, 0, e); }
    }

    public SiteDecision Accepts(PatchRequest request)
    {
        using var call = PluginCalls.Enter(Origin, _name, PluginMember.AcceptsRequest, 0);
        try { return _decisions.Check(_inner.Accepts(request), PluginMember.AcceptsRequest); }
        catch (Exception e) when (e is not PluginFaultException) { throw Fatal(Origin, _name, PluginMember.AcceptsRequest, 0, e); }
    }

    public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) => GuardedSteps(context, batch);

    public BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        using var call = PluginCalls.Enter(Origin, _name, PluginMember.OnBreakpoint, 0);
        try { return _inner.OnBreakpoint(context); }
        catch (Exception e) when (e is not PluginFaultException) { throw Stop(PluginMember.OnBreakpoint, 0, e); }
    }

    /// <summary>The plug-in's steps, each drawn under the guard; a step it may not yield stops the writer.</summary>
    private IEnumerable<WriterStep> GuardedSteps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        IEnumerator<WriterStep>? steps;
        using (PluginCalls.Enter(Origin, _name, PluginMember.Steps, 0))
        {
            try { steps = _inner.Steps(context, batch)?.GetEnumerator(); }
            catch (Exception e) when (e is not PluginFaultException) { throw Stop(PluginMember.Steps, 0, e); }
        }
        if (steps is null) throw new PatcherException($"{Plugin} returned null from Steps");
        for (int n = 1; ; n++)
        {
            bool more;
            WriterStep? step;
            using (PluginCalls.Enter(Origin, _name, PluginMember.Steps, n))
            {
                try
                {
                    more = steps.MoveNext();
                    step = more ? steps.Current : null;
                }
                catch (Exception e) when (e is not PluginFaultException) { throw Stop(PluginMember.Steps, n, e); }
            }
            if (!more) yield break;
            if (step is null) throw new PatcherException($"{Plugin} yielded null as step {n} in Steps");
            yield return Checked(step, n);
        }
    }

    /// <summary>A step as the machine may run it: its parts present, a condition behind the guard.</summary>
    private WriterStep Checked(WriterStep step, int n) => step switch
    {
        WriterStep.Store { Bytes: null or { Length: 0 } } s => throw new PatcherException($"{Plugin} yielded a store of no bytes at 0x{s.Address:x} as step {n} in Steps"),
        WriterStep.Acquire { Lock: null } or WriterStep.Release { Lock: null } => throw new PatcherException($"{Plugin} yielded a lock step without a lock name as step {n} in Steps"),
        WriterStep.WaitUntil { Condition: null } => throw new PatcherException($"{Plugin} yielded a WaitUntil without a condition as step {n} in Steps"),
        WriterStep.CompareExchange { Expected: null } or WriterStep.CompareExchange { New: null } =>
            throw new PatcherException($"{Plugin} yielded a compare-exchange without its expected or new bytes as step {n} in Steps"),
        WriterStep.WaitUntil w => new WriterStep.WaitUntil(w.What ?? "(no description)", () => Condition(w.Condition, n)),
        _ => step,
    };

    private bool Condition(Func<bool> condition, int n)
    {
        using var call = PluginCalls.Enter(Origin, _name, PluginMember.WaitUntil, n);
        try { return condition(); }
        catch (Exception e) when (e is not PluginFaultException) { throw Stop(PluginMember.WaitUntil, n, e); }
    }

    /// <summary>
    /// A throw while the patcher runs on the machine: it stops the writer (or makes the #BP handler
    /// decline), which the run reports. Running out of memory is a fault the cell cannot go on from.
    /// </summary>
    private Exception Stop(PluginMember member, int step, Exception e) =>
        e is OutOfMemoryException ? Fatal(Origin, _name, member, step, e) : new PatcherException(PluginFault.Threw(Origin, _name, member, step, e).Message);

    private static PluginFaultException Fatal(PluginOrigin origin, string? name, PluginMember member, int step, Exception e)
    {
        if (e is OutOfMemoryException) PluginCalls.NoteOutOfMemory();   // first, before anything allocates
        return PluginCalls.Fatal(e is OutOfMemoryException
            ? new PluginFault(origin, name, member, step,
                PluginCalls.MemoryLimitMb is { } mb ? $"exceeded {mb} MB (OutOfMemoryException) in {{member}}" : "ran out of memory (OutOfMemoryException) in {member}")
            : PluginFault.Threw(origin, name, member, step, e));
    }

    private PluginFaultException Bad(PluginMember member, string what, string? why = null) =>
        PluginCalls.Fatal(PluginFault.Returned(Origin, _name, member, what, why));

    /// <summary>A declared member read under the guard, while the instance is being made.</summary>
    private T Read<T>(PluginMember member, Func<T> read)
    {
        using var call = PluginCalls.Enter(Origin, _name, member, 0);
        try { return read(); }
        catch (Exception e) when (e is not PluginFaultException) { throw Fatal(Origin, _name, member, 0, e); }
    }

    /// <summary>A name the suite can use: present, one word without ':' (it goes into replay tokens and commands), the same as before.</summary>
    private string CheckName(string? name, string? expected)
    {
        if (name is null) throw Bad(PluginMember.Name, "null");
        if (string.IsNullOrWhiteSpace(name)) throw Bad(PluginMember.Name, "an empty name");
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ':'))
            throw Bad(PluginMember.Name, $"'{PluginFault.OneLine(name)}'", "a name goes into replay tokens and commands, so it holds no space or ':' (use kebab-case)");
        if (expected is not null && name != expected) throw Bad(PluginMember.Name, $"'{name}'", $"an earlier instance returned '{expected}' (a name must not change)");
        return name;
    }

    private IReadOnlyList<Expectation> CheckExpectations(IReadOnlyList<Expectation>? list)
    {
        if (list is null) throw Bad(PluginMember.Expectations, "null");
        var copy = list.ToArray();
        var known = FetchModelRegistry.BuiltIn.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < copy.Length; i++)
        {
            var e = copy[i];
            if (e is null) throw Bad(PluginMember.Expectations, $"a null expectation (item {i + 1})");
            if (e.Reason is null) throw Bad(PluginMember.Expectations, $"an expectation without a reason (item {i + 1})");
            foreach (var model in e.Models ?? [])
                if (model is null || !known.Contains(model))
                    throw Bad(PluginMember.Expectations, $"an expectation for fetch model '{model ?? "null"}' (item {i + 1})",
                        $"no such fetch model; known: {string.Join(", ", FetchModelRegistry.BuiltIn.Select(m => m.Name))}");
        }
        return copy;
    }

    private IReadOnlyList<byte[]> CheckHolding(IReadOnlyList<byte[]>? list)
    {
        if (list is null) throw Bad(PluginMember.HoldingInstructions, "null");
        var copy = list.ToArray();
        for (int i = 0; i < copy.Length; i++)
            if (copy[i] is not { Length: > 0 }) throw Bad(PluginMember.HoldingInstructions, $"{(copy[i] is null ? "a null" : "an empty")} instruction (item {i + 1})");
        return copy.Select(b => (byte[])b.Clone()).ToArray();
    }

    private IReadOnlyList<HoldingInstruction> CheckHoldingAt(IReadOnlyList<HoldingInstruction>? list)
    {
        if (list is null) throw Bad(PluginMember.HoldingAt, "null");
        var copy = list.ToArray();
        for (int i = 0; i < copy.Length; i++)
            if (copy[i] is not { Bytes.Length: > 0, Offset: >= 0 })
                throw Bad(PluginMember.HoldingAt, $"{(copy[i] is null ? "a null holding instruction" : copy[i].Bytes is null or { Length: 0 } ? "a holding instruction of no bytes" : "a holding instruction at a negative offset")} (item {i + 1})");
        return copy.Select(h => h with { Bytes = (byte[])h.Bytes.Clone() }).ToArray();
    }

    /// <summary>What <c>Accepts</c> may return: a decision (a decline says what it falls back to).</summary>
    private sealed class SiteDecisionCheck(GuardedPatcher owner)
    {
        public SiteDecision Check(SiteDecision? decision, PluginMember member) => decision switch
        {
            null => throw owner.Bad(member, "null"),
            { Accepted: false, Fallback: null } => decision with { Fallback = "(no reason given)" },
            _ => decision,
        };
    }
}
