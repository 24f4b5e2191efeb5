using System.Text.Json;
using System.Text.Json.Serialization;
using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// What the command line asks a worker process to do, as one line of JSON on its stdin. The
/// patcher runs entirely inside the worker: only the case's inputs go in and results come out,
/// so a new member of <see cref="IPatcher"/> needs no change here (only <see cref="GuardedPatcher"/>
/// forwards it).
/// </summary>
public sealed record WorkerRequest(string Kind)
{
    /// <summary>Describe the patcher types of <see cref="Assembly"/>, from the type with index <see cref="From"/> on.</summary>
    public const string Describe = "describe";
    /// <summary>Run one cell of the random matrix (<see cref="Matrix"/>) for the plug-in <see cref="Assembly"/>/<see cref="Type"/>.</summary>
    public const string MatrixCell = "matrix-cell";
    /// <summary>Run the exhaustive exploration (<see cref="Exhaustive"/>) of the plug-in under each model.</summary>
    public const string ExhaustivePatcher = "exhaustive";
    /// <summary>Run a whole command (<see cref="Args"/>: replay or explain with its plug-ins), its output passed back.</summary>
    public const string Command = "command";

    public string? Assembly { get; init; }
    public string? Type { get; init; }
    public int From { get; init; }
    public MatrixJob? Matrix { get; init; }
    public ExhaustiveJob? Exhaustive { get; init; }
    public string[]? Args { get; init; }
    /// <summary>For a command: plug-in types (by full name) the command line found faulty when it read them, not to be made again.</summary>
    public string[]? Skip { get; init; }
    /// <summary>For a cell: the name the plug-in gave when the command line read it (it must not change).</summary>
    public string? Name { get; init; }
    /// <summary>For a cell: the plug-in's path as the user gave it (<c>--plugin PATH</c>), which its tokens name.</summary>
    public string? Plugin { get; init; }

    public double TimeoutSeconds { get; init; } = PluginLimits.DefaultTimeoutSeconds;
    public int MemoryMb { get; init; } = PluginLimits.DefaultMemoryMb;
    /// <summary>The file where the worker keeps the member it is in, for its supervisor to read if it dies (<see cref="CallSlot"/>).</summary>
    public string? Slot { get; init; }
}

/// <summary>One cell of the random matrix: what <c>MatrixCampaign.RunCell</c> is given.</summary>
public sealed record MatrixJob(string Model, bool Nmi, int Runs, int FailRuns, ulong Seed, int MaxCpus, string Strategy)
{
    /// <summary>The failure database setting (as <c>--failure-db</c> takes it; null: the default), whose stored cases the cell replays first.</summary>
    public string? FailureDb { get; init; }
    /// <summary>The scan the cell's layouts come from (<c>--layouts-from</c>), or null.</summary>
    public string? LayoutsFrom { get; init; }
    /// <summary>Run the cell's bounded proof too (<see cref="CheckCells.Settings.Prove"/>).</summary>
    public bool Prove { get; init; }
}

/// <summary>The exhaustive scenario and bound, and the models to explore it under.</summary>
public sealed record ExhaustiveJob(IReadOnlyList<string> Models, int Cpus, int Sites, string Irqs,
    int Preemptions, int Iterations, int StepBudget, int MaxExecutions, bool Reduce, string Layouts = "preferred", int Interrupts = 0, int Patches = 1,
    string Transitions = "retarget", string Abi = "c")
{
    /// <summary><c>--writer-runs-sites</c>: off, on or both.</summary>
    public string WriterRunsSites { get; init; } = "off";
}

/// <summary>A plug-in as <c>describe</c> reads it in the worker: what the command line needs to plan its cells.</summary>
public sealed record PatcherDescription(string Name, string Description, string Source, IReadOnlyList<Expectation> Expectations);

/// <summary>
/// One line a worker writes on its stdout: <see cref="Out"/>/<see cref="Err"/> text written to its
/// console (a relayed command's output); <see cref="Begin"/>, <see cref="Patcher"/>, <see cref="Fault"/>
/// while describing; <see cref="Section"/> and <see cref="Cell"/> as an exhaustive run goes; then
/// <see cref="Result"/> (or <see cref="Exit"/>), or <see cref="Fatal"/> (a plug-in fault that ends
/// the job: the worker exits after it), or
/// <see cref="Failed"/> (the worker itself failed).
/// </summary>
public sealed record WorkerLine(string Kind)
{
    public const string Out = "out", Err = "err", Begin = "begin", Patcher = "patcher", Fault = "fault",
        Section = "section", Cell = "cell", Result = "result", Exit = "exit", Fatal = "fatal", Failed = "failed";

    public string? Text { get; init; }
    public int? Code { get; init; }
    public JsonElement? Value { get; init; }
    public PluginFault? PluginFault { get; init; }

    public T ValueAs<T>() => Value is { } v ? v.Deserialize<T>(WorkerJson.Options)! : throw new InvalidDataException($"worker line '{Kind}' carries no value");
}

/// <summary>The JSON of the worker protocol: camelCase, enums by name, one line per message.</summary>
public static class WorkerJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        IncludeFields = false,
    };

    public static string Line<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static JsonElement Element<T>(T value) => JsonSerializer.SerializeToElement(value, Options);
}

/// <summary>Writes protocol lines to the worker's real stdout, one at a time (the watchdog and the job both write).</summary>
public sealed class WorkerChannel(Stream stdout)
{
    private readonly StreamWriter _writer = new(stdout, new System.Text.UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    private readonly object _gate = new();

    public void Send(WorkerLine line)
    {
        string text = WorkerJson.Line(line);
        lock (_gate) _writer.WriteLine(text);
    }

    public void Send(string kind, string? text = null) => Send(new WorkerLine(kind) { Text = text });
}
