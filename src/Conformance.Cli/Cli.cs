using System.CommandLine;

namespace Conformance.Cli;

/// <summary>Exit codes and the one place that turns bad usage into a one-line error.</summary>
public static class Cli
{
    /// <summary>Every check matched its expectation.</summary>
    public const int Ok = 0;
    /// <summary>At least one check failed.</summary>
    public const int Failed = 1;
    /// <summary>Bad usage: an unknown option, a malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The command line this process was given (a command that runs in a worker process passes it on).</summary>
    public static IReadOnlyList<string> Arguments { get; private set; } = [];

    public static int Run(RootCommand root, string[] args)
    {
        Arguments = args;
        ParseErrorText.Install(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"conformance: {ParseErrorText.Describe(parse)}");
            return Usage;
        }
        Terminal.Configure();
        // A report to standard output (--json -, --junit -, --html -) has standard output to itself: the human output goes to standard error.
        if (parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .Any(o => o.Option.Name is "--json" or "--junit" or "--html" && o.Tokens is [{ Value: OutputPath.Stdout }]))
            Terminal.ReserveStdout();
        try
        {
            // Our handler, not System.CommandLine's: a usage error is one line and exit code 2.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"conformance: {e.Message}");
            return Usage;
        }
    }
}

/// <summary>A malformed option value, reported as one line with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
