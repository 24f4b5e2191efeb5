using Conformance.Checking.Exhaustive;
using Conformance.Checking.Tokens;
using Conformance.Generators.Campaigns;

namespace Conformance.Cli;

/// <summary>
/// The <c>replay</c> and <c>explain</c> lines the commands print for a token of either kind, with the
/// <c>--plugin</c> the token names (read from the token itself, so a line cannot lose it).
/// </summary>
internal static class TokenLines
{
    /// <summary><c>replay TOKEN [--plugin PATH]</c>.</summary>
    public static string Replay(string token) => TokenCommand.Arguments("replay", token, PluginOf(token));

    /// <summary>The whole <c>explain</c> command for a token.</summary>
    public static string Explain(string token) => TokenCommand.Line("explain", token, PluginOf(token));

    /// <summary>The plug-in a token names, or null (built in, or not a token of this suite).</summary>
    public static string? PluginOf(string token)
    {
        try { return ExhaustiveToken.Looks(token) ? ExhaustiveToken.Parse(token).Plugin : ReplayToken.Parse(token).Plugin; }
        catch (ArgumentException) { return null; }
    }

    /// <summary>How to read one of <paramref name="tokens"/> (nulls skipped) as a timeline: the explain command with TOKEN for the token, and the plug-in if they share one.</summary>
    public static string ExplainHint(IEnumerable<string?> tokens)
    {
        var plugins = tokens.OfType<string>().Select(PluginOf).Distinct().ToArray();
        return plugins switch
        {
            [null] or [] => $"{TokenCommand.Cli} explain TOKEN",
            [{ } one] => $"{TokenCommand.Cli} explain TOKEN {TokenCommand.PluginArgument(one)}",
            _ => $"{TokenCommand.Cli} explain TOKEN, with the --plugin of its replay line",
        };
    }
}
