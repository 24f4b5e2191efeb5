using Conformance.Checking.Exhaustive;
using Conformance.Machine;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// The visited set's subsumption rule (spec/exhaustive.md, "Visited states"): a state expanded with at
/// least as many preemptions and steps left ends a later visit; budgets that do not dominate each
/// other are all kept, and a new pair drops the ones it dominates.
/// </summary>
public sealed class VisitedStatesTests
{
    private static readonly StateKey A = new(1, 2), B = new(3, 4);

    [Fact]
    public void A_state_is_subsumed_only_by_a_visit_with_at_least_both_budgets()
    {
        var v = new VisitedStates();
        Assert.False(v.SubsumedOrAdd(A, 2, 100));
        Assert.True(v.SubsumedOrAdd(A, 2, 100));
        Assert.True(v.SubsumedOrAdd(A, 1, 50));
        Assert.False(v.SubsumedOrAdd(A, 3, 50));    // more preemptions left: not covered; kept beside (2, 100)
        Assert.True(v.SubsumedOrAdd(A, 2, 100));    // still covered by the first pair
        Assert.True(v.SubsumedOrAdd(A, 3, 50));
        Assert.False(v.SubsumedOrAdd(A, 3, 60));    // dominates (3, 50), which is dropped
        Assert.True(v.SubsumedOrAdd(A, 3, 55));
        Assert.True(v.SubsumedOrAdd(A, 2, 100));
        Assert.False(v.SubsumedOrAdd(A, 2, 200));   // dominates (2, 100)
        Assert.True(v.SubsumedOrAdd(A, 2, 150));
        Assert.True(v.SubsumedOrAdd(A, 3, 60));
        Assert.False(v.SubsumedOrAdd(A, 4, 61));    // dominates (3, 60), not (2, 200)
        Assert.True(v.SubsumedOrAdd(A, 2, 200));    // (2, 200) is not dominated by (4, 61): still kept
        Assert.Equal(1, v.Count);
    }

    [Fact]
    public void States_are_told_apart_by_their_key()
    {
        var v = new VisitedStates();
        Assert.False(v.SubsumedOrAdd(A, 0, 0));
        Assert.False(v.SubsumedOrAdd(B, 0, 0));
        Assert.True(v.SubsumedOrAdd(B, 0, 0));
        Assert.Equal(2, v.Count);
    }
}
