using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Conformance.Cli;

/// <summary>
/// System.CommandLine's parse errors in the suite's own words, one line: a number option's value
/// that is not a whole number says so (not "expected type 'System.Int32'"), an option without its
/// value, an option given twice, a missing argument and an unknown word each name the option or
/// command and what it wants. <see cref="Install"/> gives every number option a parser with these
/// messages; <see cref="Describe"/> words what the parser itself reports.
/// </summary>
public static class ParseErrorText
{
    /// <summary>Gives every whole-number option under <paramref name="command"/> a parser whose errors name the option and the value.</summary>
    public static void Install(Command command)
    {
        foreach (var option in command.Options)
            switch (option)
            {
                case Option<int> o: o.CustomParser = r => Whole(r, o.Name, int.MinValue, int.MaxValue, n => (int)n); break;
                case Option<long> o: o.CustomParser = r => Whole(r, o.Name, long.MinValue, long.MaxValue, n => n); break;
                case Option<int[]> o: o.CustomParser = r => r.Tokens.Select(t => Whole(r, o.Name, t.Value, int.MinValue, int.MaxValue, n => (int)n)).ToArray(); break;
            }
        foreach (var sub in command.Subcommands) Install(sub);
    }

    // An option without its value is reported by the parser itself (Describe words it).
    private static T Whole<T>(ArgumentResult result, string option, long min, long max, Func<long, T> convert) =>
        result.Tokens.Count == 0 ? convert(0) : Whole(result, option, result.Tokens[^1].Value, min, max, convert);

    private static T Whole<T>(ArgumentResult result, string option, string text, long min, long max, Func<long, T> convert)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max) return convert(n);
        string unsigned = text.TrimStart('-', '+');
        bool digits = unsigned.Length > 0 && unsigned.All(char.IsAsciiDigit);
        result.AddError(!digits ? $"{option}: '{text}' is not a whole number"
            : text.StartsWith('-') ? $"{option}: '{text}' is too small (at least {min:N0})"
            : $"{option}: '{text}' is too large (at most {max:N0})");
        return convert(0);
    }

    /// <summary>The parse's errors as one line.</summary>
    public static string Describe(ParseResult parse)
    {
        var lines = new List<string>();
        foreach (var error in parse.Errors)
        {
            string line = error.SymbolResult switch
            {
                OptionResult o when o.Tokens.Count == 0 => $"{o.Option.Name}: needs a value{What(o.Option)}",
                OptionResult o when o.Tokens.Count > 1 && o.Option.Arity.MaximumNumberOfValues == 1 =>
                    $"{o.Option.Name}: given {o.Tokens.Count} values ({string.Join(", ", o.Tokens.Select(t => $"'{t.Value}'"))}); give it once",
                ArgumentResult { Parent: CommandResult c } a when a.Tokens.Count == 0 =>
                    $"{c.Command.Name}: needs its {a.Argument.Name.ToUpperInvariant()} argument{Described(a.Argument.Description)}",
                CommandResult c when parse.UnmatchedTokens.Count > 0 => Unknown(c, parse.UnmatchedTokens[0]),
                CommandResult c when c.Command.Subcommands.Count > 0 =>
                    $"give a command: {string.Join(", ", c.Command.Subcommands.Select(s => s.Name))}",
                _ => error.Message.TrimEnd('.'),
            };
            if (!lines.Contains(line)) lines.Add(line);
        }
        return string.Join("; ", lines) + " (see --help)";
    }

    private static string Unknown(CommandResult c, string token)
    {
        string where = c.Parent is null ? "the command line" : c.Command.Name;
        if (c.Parent is null && !token.StartsWith('-'))
            return $"'{token}' is not a command (the commands: {string.Join(", ", c.Command.Subcommands.Select(s => s.Name))})";
        return token.StartsWith('-') ? $"'{token}' is not an option of {where}"
            : $"'{token}' is one argument too many for {where} (or a value given to an option that takes none)";
    }

    private static string What(Option option) => option.ValueType switch
    {
        var t when t == typeof(int) || t == typeof(long) || t == typeof(int[]) => " (a whole number)",
        var t when t == typeof(FileInfo) => " (a file's path)",
        var t when t == typeof(DirectoryInfo) => " (a directory's path)",
        _ => "",
    };

    private static string Described(string? description) =>
        string.IsNullOrEmpty(description) ? "" : $" ({char.ToLowerInvariant(description[0])}{description[1..].TrimEnd('.')})";
}
