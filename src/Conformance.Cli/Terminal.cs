using Spectre.Console;

namespace Conformance.Cli;

/// <summary>
/// Where the command line's output goes and how it looks, decided in one place (spec/tokens.md,
/// "Terminals and pipes"). Plain text, no ANSI escape code of any kind (colour, cursor movement,
/// live progress), when standard output is not a terminal, when <c>NO_COLOR</c> is set to anything
/// non-empty, or when <c>CI</c> is (a CI log is not a terminal even when it says it is). Without a
/// terminal the lines are laid out for <see cref="PlainWidth"/> columns, so a table widens instead of
/// breaking names. When a report goes to standard output (<c>--json -</c>), the human output moves to
/// standard error, so standard output holds the report alone. Standard error follows the same rule for itself.
/// </summary>
public static class Terminal
{
    /// <summary>The width lines are laid out for when standard output is not a terminal.</summary>
    public const int PlainWidth = 160;

    private static TextWriter? _data;

    /// <summary>Whether output is plain text: no ANSI codes (see the class comment).</summary>
    public static bool Plain { get; private set; }

    /// <summary>Whether a report was given standard output (<see cref="ReserveStdout"/>).</summary>
    public static bool StdoutReserved => _data is not null;

    /// <summary>The stream a report written to <c>-</c> goes to: the process's standard output.</summary>
    public static TextWriter Data => _data ?? Console.Out;

    /// <summary>Where live progress goes: standard error when standard output is a pipe or reserved (a pipe's reader wants the results only).</summary>
    public static IAnsiConsole Progress { get; private set; } = AnsiConsole.Console;

    /// <summary>Decides plain or not from the environment and configures Spectre's console for the human output. Called once, before a command runs.</summary>
    public static void Configure()
    {
        _data = null;
        Plain = IsPlain(Console.IsOutputRedirected, Environment.GetEnvironmentVariable);
        AnsiConsole.Console = Create(Console.Out, Plain, Console.IsOutputRedirected);
        Progress = Console.IsOutputRedirected ? Create(Console.Error, ErrorPlain, Console.IsErrorRedirected) : AnsiConsole.Console;
    }

    /// <summary>Whether what goes to standard error is plain: the same rule, for that stream.</summary>
    private static bool ErrorPlain => IsPlain(Console.IsErrorRedirected, Environment.GetEnvironmentVariable);

    /// <summary>The rule: plain when <paramref name="redirected"/>, or <c>NO_COLOR</c> or <c>CI</c> is non-empty.</summary>
    public static bool IsPlain(bool redirected, Func<string, string?> environment) =>
        redirected || !string.IsNullOrEmpty(environment("NO_COLOR")) || !string.IsNullOrEmpty(environment("CI"));

    /// <summary>
    /// A report is to be written to standard output: from now on the human output (tables, lines,
    /// progress) goes to standard error, and <see cref="Data"/> is the only writer of standard output.
    /// </summary>
    public static void ReserveStdout()
    {
        if (_data is not null) return;
        _data = Console.Out;
        Console.SetOut(Console.Error);
        AnsiConsole.Console = Create(Console.Error, ErrorPlain, Console.IsErrorRedirected);
        Progress = AnsiConsole.Console;
    }

    /// <summary>A Spectre console writing to <paramref name="writer"/>: plain (no ANSI at all, not interactive) or as the terminal allows.</summary>
    public static IAnsiConsole Create(TextWriter writer, bool plain, bool noTerminal, int? width = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = plain ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(writer),
        });
        if (width is { } w) console.Profile.Width = w;
        else if (noTerminal) console.Profile.Width = PlainWidth;
        return console;
    }
}
