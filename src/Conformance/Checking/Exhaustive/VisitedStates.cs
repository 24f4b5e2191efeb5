using Conformance.Machine;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// The states an exploration has expanded, each with the budgets it was expanded with (spec/exhaustive.md,
/// "Visited states"). A state seen with at least as many preemptions left and at least as many steps
/// left <b>subsumes</b> a later visit: every execution the later visit could go on to, the earlier
/// one could too (the same machine, the same choices, no tighter budget), and the depth-first order
/// explored all of them before leaving it. The converse does not hold: a state seen with fewer
/// preemptions left says nothing about one with more. So each state keeps the budgets that no other
/// budget kept for it dominates (a short list: usually one).
/// </summary>
public sealed class VisitedStates
{
    private readonly Dictionary<StateKey, List<(int Preemptions, int Steps)>> _seen = new();

    /// <summary>States recorded.</summary>
    public int Count => _seen.Count;

    /// <summary>
    /// Whether <paramref name="key"/> was expanded before with at least <paramref name="preemptionsLeft"/>
    /// and <paramref name="stepsLeft"/> left; if not, records it with these budgets (dropping those they dominate).
    /// </summary>
    public bool SubsumedOrAdd(StateKey key, int preemptionsLeft, int stepsLeft)
    {
        if (!_seen.TryGetValue(key, out var budgets))
        {
            _seen[key] = [(preemptionsLeft, stepsLeft)];
            return false;
        }
        foreach (var (p, s) in budgets)
            if (p >= preemptionsLeft && s >= stepsLeft) return true;
        budgets.RemoveAll(b => b.Preemptions <= preemptionsLeft && b.Steps <= stepsLeft);
        budgets.Add((preemptionsLeft, stepsLeft));
        return false;
    }
}
