using Conformance.Machine;

namespace Conformance.Patching;

/// <summary>
/// Linux's <c>text_mutex</c>: every caller of <c>text_poke_bp</c> and its relatives holds it, so two
/// patches never write text at once (P5, single writer). A patcher's steps taken under it.
/// </summary>
public static class TextMutex
{
    public const string Name = "text_mutex";

    /// <summary>
    /// <paramref name="steps"/> with the lock taken before them and released after. They are drawn
    /// lazily, so whatever they do before their first step (publishing the batch for the #BP
    /// handler) happens once the lock is held.
    /// </summary>
    public static IEnumerable<WriterStep> Held(IEnumerable<WriterStep> steps)
    {
        yield return new WriterStep.Acquire(Name);
        foreach (var step in steps) yield return step;
        yield return new WriterStep.Release(Name);
    }
}
