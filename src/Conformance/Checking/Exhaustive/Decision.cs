namespace Conformance.Checking.Exhaustive;

/// <summary>Which kind of choice an execution made.</summary>
public enum DecisionKind : byte
{
    /// <summary>Which CPU runs next, at a scheduling point.</summary>
    Schedule,
    /// <summary>Which version of a fetch unit a fetch reads (0 = newest).</summary>
    Fetch,
}

/// <summary>
/// One choice of an execution, in the order it was made: alternative <see cref="Chosen"/> of
/// <see cref="Options"/> (0 is the default: the running CPU goes on, the fetch reads the newest
/// bytes). The exploration is a depth-first walk of these choices; a choice with one option does not branch.
/// </summary>
public readonly record struct Decision(DecisionKind Kind, int Chosen, int Options)
{
    /// <summary>Whether a later alternative is left to explore.</summary>
    public bool HasNext => Chosen < Options - 1;

    public override string ToString() => $"{(Kind == DecisionKind.Schedule ? "cpu" : "fetch")} {Chosen}/{Options}";
}
