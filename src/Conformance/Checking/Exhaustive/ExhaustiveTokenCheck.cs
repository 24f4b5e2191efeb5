using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>
/// What a token's text alone cannot show: whether its fetch choices fit the execution. A fetch
/// choice counts versions back among those its unit had at that fetch; the machine clamps a choice
/// that is too large to the oldest version, which would replay a different execution without a
/// word. So before a token is replayed its schedule runs once, and a choice larger than the versions
/// offered, or one the execution never reaches, is refused as damage.
/// </summary>
public static class ExhaustiveTokenCheck
{
    /// <summary>Throws an <see cref="ArgumentException"/> ("token damaged: ...") when a fetch choice of <paramref name="c"/>'s schedule does not fit its execution.</summary>
    public static void FetchChoices(Func<IPatcher> create, IFetchModel model, PatchCase c, bool nmiMayEndStiShadow = false)
    {
        int[] taken = [], options = [];
        PatchCheck.Run(create, model, c, nmiMayEndStiShadow, drive: rig =>
        {
            rig.Machine.Run(c.Schedule);
            taken = rig.Machine.FetchChoicesTaken.ToArray();
            options = rig.Machine.FetchChoiceOptions.ToArray();
        });
        var wanted = c.Schedule.FetchChoices;
        for (int i = 0; i < wanted.Count && i < taken.Length; i++)
            if (wanted[i] != taken[i])
                throw new ArgumentException($"token damaged: fetch choice #{i} is {wanted[i]}, but that fetch had {options[i]} version(s) to choose from (choices 0 to {options[i] - 1})");
        if (wanted.Count > taken.Length)
            throw new ArgumentException($"token damaged: it has {wanted.Count} fetch choice(s), but its execution makes only {taken.Length}");
    }
}
