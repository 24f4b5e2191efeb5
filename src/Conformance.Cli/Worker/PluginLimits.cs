using System.CommandLine;
using System.Globalization;

namespace Conformance.Cli.Worker;

/// <summary>
/// What a plug-in's code may take in its worker process: <see cref="Timeout"/> for one call (wall
/// time, and CPU time of the process while it runs), <see cref="MemoryMb"/> for the whole worker
/// (its resident memory). A worker that goes past either is stopped and its cell reported as an error.
/// </summary>
public sealed record PluginLimits(TimeSpan Timeout, int MemoryMb)
{
    public const double DefaultTimeoutSeconds = 10;
    public const int DefaultMemoryMb = 1024;

    public static PluginLimits Default { get; } = new(TimeSpan.FromSeconds(DefaultTimeoutSeconds), DefaultMemoryMb);

    /// <summary>The limits the command line gave (set when a command reads its options; the default otherwise).</summary>
    public static PluginLimits Current { get; set; } = Default;

    /// <summary>The timeout as messages say it: <c>10 s</c>, <c>0.5 s</c>.</summary>
    public string TimeoutText => $"{Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
}

/// <summary>
/// The plug-in options every command that runs patchers takes: <c>--plugin PATH</c> (repeatable),
/// <c>--plugin-timeout SECONDS</c> and <c>--plugin-memory MB</c>.
/// </summary>
public sealed class PluginOptions
{
    public Option<string[]> Paths { get; } = Plugins.Option();

    private readonly Option<double> _timeout = new("--plugin-timeout")
    {
        Description = $"Seconds one call into a plug-in's code may take (wall time, or CPU time of its worker process) before the plug-in is stopped and its cell reported as an error (default {PluginLimits.DefaultTimeoutSeconds}).",
        DefaultValueFactory = _ => PluginLimits.DefaultTimeoutSeconds,
    };

    private readonly Option<int> _memory = new("--plugin-memory")
    {
        Description = $"Megabytes of memory a plug-in's worker process may use before it is stopped and its cell reported as an error (default {PluginLimits.DefaultMemoryMb}).",
        DefaultValueFactory = _ => PluginLimits.DefaultMemoryMb,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Paths);
        command.Options.Add(_timeout);
        command.Options.Add(_memory);
    }

    /// <summary>The plug-in paths given, after checking the limits and making them the <see cref="PluginLimits.Current"/> ones.</summary>
    public string[] Read(ParseResult parse)
    {
        double seconds = parse.GetValue(_timeout);
        int mb = parse.GetValue(_memory);
        if (!(seconds > 0) || seconds > 86_400) throw new UsageException($"--plugin-timeout {seconds.ToString(CultureInfo.InvariantCulture)}: must be more than 0 and at most 86400 seconds");
        if (mb is < 128 or > 1_048_576) throw new UsageException($"--plugin-memory {mb}: must be 128 to 1048576 MB (a worker process takes about 70 MB before it runs anything)");
        PluginLimits.Current = new PluginLimits(TimeSpan.FromSeconds(seconds), mb);
        return parse.GetValue(Paths) ?? [];
    }
}
