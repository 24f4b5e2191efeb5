namespace Conformance.Checking.Tokens;

/// <summary>
/// The commands the suite prints to run a token again (<c>replay TOKEN</c>, <c>explain TOKEN</c>):
/// the token, and the <c>--plugin</c> its patcher comes from, so a pasted line works as it is. The
/// one place these lines are made.
/// </summary>
public static class TokenCommand
{
    /// <summary>How the suite's command line is run from a clone of the repository.</summary>
    public const string Cli = "dotnet run --project src/Conformance.Cli --";

    /// <summary>The arguments after the command line's name: <c>VERB TOKEN [--plugin PATH]</c>.</summary>
    public static string Arguments(string verb, string token, string? plugin) =>
        plugin is null ? $"{verb} {token}" : $"{verb} {token} {PluginArgument(plugin)}";

    /// <summary>The whole command: <c>dotnet run --project src/Conformance.Cli -- VERB TOKEN [--plugin PATH]</c>.</summary>
    public static string Line(string verb, string token, string? plugin) => $"{Cli} {Arguments(verb, token, plugin)}";

    /// <summary><c>--plugin PATH</c>, the path as it was given (quoted for a shell when it needs to be).</summary>
    public static string PluginArgument(string plugin) => $"--plugin {Quote(plugin)}";

    /// <summary>A word as a POSIX shell reads it back: as it is when it holds nothing a shell treats specially, else in single quotes.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or '-' or '+' or ',' or '=' or '@' or ':' or '%')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
