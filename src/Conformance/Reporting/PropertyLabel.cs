namespace Conformance.Reporting;

/// <summary>
/// The short name of a violated property where there is room for little (a cell of the check table):
/// P1..P5 by number, a patcher's own failure as words (never a name cut in the middle).
/// </summary>
public static class PropertyLabel
{
    public static string Short(string? property) => property switch
    {
        null => "?",
        Checking.Violation.PatcherError => "patcher error",
        Patching.OwnerMap.Violation => "wrote outside",
        { Length: > 2 } p when p[0] == 'P' && char.IsAsciiDigit(p[1]) => p[..2],
        var p => p,
    };
}
