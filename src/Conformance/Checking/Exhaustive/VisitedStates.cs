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
    // The first budgets kept for a state inline; further ones (budgets that do not dominate each
    // other) in a list beside it. Nearly every state keeps one pair, and an unbounded exploration
    // keeps millions of states: a list per state tripled the memory.
    private readonly Dictionary<StateKey, Budgets> _seen = new();

    private struct Budgets(int preemptions, int steps)
    {
        public (int Preemptions, int Steps) First = (preemptions, steps);
        public List<(int Preemptions, int Steps)>? More;
    }

    /// <summary>States recorded.</summary>
    public int Count => _seen.Count;

    /// <summary>
    /// Whether <paramref name="key"/> was expanded before with at least <paramref name="preemptionsLeft"/>
    /// and <paramref name="stepsLeft"/> left; if not, records it with these budgets (dropping those they dominate).
    /// </summary>
    public bool SubsumedOrAdd(StateKey key, int preemptionsLeft, int stepsLeft)
    {
        ref var budgets = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_seen, key, out bool exists);
        if (!exists)
        {
            budgets = new Budgets(preemptionsLeft, stepsLeft);
            return false;
        }
        if (Dominates(budgets.First, preemptionsLeft, stepsLeft)) return true;
        if (budgets.More is { } more)
            foreach (var b in more)
                if (Dominates(b, preemptionsLeft, stepsLeft)) return true;
        // Keep the new pair and every kept one it does not dominate, the first of them inline.
        var kept = new List<(int Preemptions, int Steps)>();
        if (!Dominated(budgets.First)) kept.Add(budgets.First);
        if (budgets.More is { } others) kept.AddRange(others.Where(b => !Dominated(b)));
        kept.Add((preemptionsLeft, stepsLeft));
        budgets.First = kept[0];
        budgets.More = kept.Count > 1 ? kept.GetRange(1, kept.Count - 1) : null;
        return false;

        bool Dominated((int Preemptions, int Steps) b) => b.Preemptions <= preemptionsLeft && b.Steps <= stepsLeft;
    }

    private static bool Dominates((int Preemptions, int Steps) b, int preemptionsLeft, int stepsLeft) => b.Preemptions >= preemptionsLeft && b.Steps >= stepsLeft;
}
