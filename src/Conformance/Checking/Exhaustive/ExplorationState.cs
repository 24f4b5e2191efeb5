using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// A patcher whose host routines (its steps, its #BP handler) keep state of their own that is not a
/// function of the writer's position and the machine (a counter a handler keeps across traps, say)
/// mixes it here, so the explorer's visited states tell it apart (spec/exhaustive.md, "Visited states").
/// </summary>
public interface IHashedHostState
{
    void AddExplorationState(StateHasher h);
}

/// <summary>
/// The state of one execution at a scheduling point, as the visited set knows it: the machine
/// (<see cref="Machine.Machine.AddExplorationState"/>), what the properties carry forward
/// (<see cref="EquivalentEffect.AddExplorationState"/>), the rig's flags, the patcher's own host
/// state when it declares one (<see cref="IHashedHostState"/>), and the driver's: which CPU runs
/// (a switch away from it may be a preemption), each reader's loop iterations, which readers yielded,
/// and where each last trapped (a #BP handler's return there is a retry). A new kind of state (an
/// explored interrupt, a second task) must be mixed here, behind a tag of its own, or two states that
/// differ in it would be taken for one: a false pass.
/// </summary>
public static class ExplorationState
{
    /// <summary>
    /// Whether a patcher's host state is known to follow from the machine and its writer's position:
    /// the library's own patchers and mutants, whose handlers keep only what their steps set (as the
    /// liveness check trusts them), or a patcher that mixes its own (<see cref="IHashedHostState"/>).
    /// A plug-in (run behind <see cref="GuardedPatcher"/>) is not: the explorer does not hash its states.
    /// </summary>
    public static bool CanHash(IPatcher patcher) =>
        patcher is IHashedHostState || (patcher is not GuardedPatcher && patcher.GetType().Assembly == typeof(IPatcher).Assembly);

    /// <summary>
    /// The key of the state now. <c>interruptsDelivered</c>: the explored interrupts delivered so far;
    /// the interrupts left to explore differ with it, and a state seen with fewer left must not stand
    /// for one with more, so it is mixed exactly, not compared as a budget.
    /// </summary>
    public static StateKey Of(PatchRig rig, EquivalentEffect effect, int current, ReadOnlySpan<int> iterations, ReadOnlySpan<bool> yielded, ReadOnlySpan<ulong?> trappedAt,
        int interruptsDelivered = 0)
    {
        var h = new StateHasher();
        rig.Machine.AddExplorationState(h);
        effect.AddExplorationState(h);
        h.Tag("rig");
        h.Mix(rig.Failure is not null); h.Mix(rig.WroteOutside is not null);
        if (rig.Patcher is IHashedHostState own) { h.Tag("patcher"); own.AddExplorationState(h); }
        h.Tag("driver");
        h.Mix(current);
        for (int c = 0; c < iterations.Length; c++)
        {
            h.Mix(iterations[c]); h.Mix(yielded[c]);
            h.Mix(trappedAt[c] is { } t ? t : ulong.MaxValue);
        }
        h.Tag("interrupts");
        h.Mix(interruptsDelivered);
        return h.Key;
    }
}
