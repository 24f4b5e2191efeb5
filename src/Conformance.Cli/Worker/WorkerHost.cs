using System.CommandLine;
using System.Text;
using System.Text.Json;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// The worker process's side: reads one <see cref="WorkerRequest"/> from stdin, runs it with the
/// plug-in loaded in this process behind <see cref="GuardedPatcher"/>, under the
/// <see cref="Watchdog"/>, with every call marked in the <see cref="CallSlot"/>, and writes
/// <see cref="WorkerLine"/>s to stdout. A plug-in fault that ends the job is one
/// <see cref="WorkerLine.Fatal"/> line, and the process exits at once.
/// </summary>
public static class WorkerHost
{
    /// <summary>The exit code of a worker that stopped itself over a plug-in fault (it said which on stdout).</summary>
    public const int StoppedExit = 3;

    /// <summary>Whether this process is a worker (plug-ins run here, in process; nothing is relayed further).</summary>
    public static bool Active { get; private set; }

    /// <summary>The hidden <c>worker</c> command; <paramref name="root"/> builds the command line for a relayed command.</summary>
    public static Command Create(Func<RootCommand> root)
    {
        var command = new Command("worker", "Internal: run plug-in code for the command line, in a process it supervises (one JSON request on stdin).") { Hidden = true };
        command.SetAction(_ => Run(Console.In, Console.OpenStandardOutput(), root));
        return command;
    }

    private static int Run(TextReader input, Stream stdout, Func<RootCommand> root)
    {
        Active = true;
        PluginCalls.Forbidden = false;
        var channel = new WorkerChannel(stdout);
        // stdout carries the protocol: whatever the job (or a plug-in) writes to the console goes as lines of it.
        var consoleOut = new RelayWriter(channel, WorkerLine.Out);
        var consoleErr = new RelayWriter(channel, WorkerLine.Err);
        Console.SetOut(consoleOut);
        Console.SetError(consoleErr);
        var line = input.ReadLine();
        WorkerRequest request;
        try { request = JsonSerializer.Deserialize<WorkerRequest>(line ?? "", WorkerJson.Options) ?? throw new JsonException("empty request"); }
        catch (JsonException e)
        {
            channel.Send(WorkerLine.Failed, $"not a worker request ({e.Message}); the worker is started by the command line itself");
            return Cli.Usage;
        }
        var limits = new PluginLimits(TimeSpan.FromSeconds(request.TimeoutSeconds), request.MemoryMb);
        PluginLimits.Current = limits;
        PluginCalls.MemoryLimitMb = request.MemoryMb;
        using var slot = request.Slot is { } path ? CallSlot.Open(path) : null;
        var origin = new PluginOrigin(request.Assembly ?? "(none)", request.Type ?? "(none)");
        using var watchdog = new Watchdog(channel, limits, () => new PluginFault(origin, request.Name, PluginMember.None, 0, ""), slot).Start();
        try
        {
            switch (request.Kind)
            {
                case WorkerRequest.Describe: Describe(request, channel); break;
                case WorkerRequest.MatrixCell: EndOnFatal(channel); MatrixCell(request, channel); break;
                case WorkerRequest.ExhaustivePatcher: EndOnFatal(channel); Exhaustive(request, channel); break;
                case WorkerRequest.Command: return Command(request, channel, root);
                default: channel.Send(WorkerLine.Failed, $"unknown request kind '{request.Kind}'"); return Cli.Usage;
            }
        }
        catch (PluginFaultException e) { channel.Send(new WorkerLine(WorkerLine.Fatal) { PluginFault = e.Fault }); return StoppedExit; }
        catch (Exception e) { channel.Send(WorkerLine.Failed, $"{e.GetType().Name}: {PluginFault.OneLine(e.Message)}"); return Cli.Failed; }
        finally
        {
            consoleOut.Flush();
            consoleErr.Flush();
        }
        return Cli.Ok;
    }

    /// <summary>From now on a fault the job cannot go on from is reported and ends the process, wherever it is thrown.</summary>
    private static void EndOnFatal(WorkerChannel channel) => PluginCalls.OnFatal = fault =>
    {
        channel.Send(new WorkerLine(WorkerLine.Fatal) { PluginFault = fault });
        Environment.Exit(StoppedExit);
    };

    /// <summary>Each patcher type from the requested index on: a <c>begin</c> line, then its description or its fault.</summary>
    private static void Describe(WorkerRequest request, WorkerChannel channel)
    {
        var types = PatcherRegistry.PatcherTypes(PatcherRegistry.LoadAssembly(request.Assembly!));
        for (int i = request.From; i < types.Count; i++)
        {
            channel.Send(new WorkerLine(WorkerLine.Begin) { Text = types[i].FullName, Code = i });
            var (patcher, fault) = PatcherRegistry.DescribePlugin(types[i]);
            channel.Send(patcher is not null
                ? new WorkerLine(WorkerLine.Patcher) { Text = types[i].FullName, Code = i, Value = WorkerJson.Element(new PatcherDescription(patcher.Name, patcher.Description, patcher.Source, patcher.Expectations)) }
                : new WorkerLine(WorkerLine.Fault) { Text = types[i].FullName, Code = i, PluginFault = fault });
        }
        channel.Send(WorkerLine.Result);
    }

    /// <summary>The requested plug-in, made and read in this process (a fault here ends the job).</summary>
    private static PatcherInfo Plugin(WorkerRequest request)
    {
        var assembly = PatcherRegistry.LoadAssembly(request.Assembly!);
        var type = PatcherRegistry.PatcherTypes(assembly).FirstOrDefault(t => t.FullName == request.Type)
            ?? throw new ArgumentException($"{request.Assembly} holds no patcher type {request.Type}");
        var (patcher, fault) = PatcherRegistry.DescribePlugin(type);
        if (fault is not null) throw new PluginFaultException(fault);
        if (request.Name is { } name && patcher!.Name != name)
            throw new PluginFaultException(PluginFault.Returned(patcher.Origin!, null, PluginMember.Name, $"'{patcher.Name}'", $"an earlier instance returned '{name}' (a name must not change)"));
        return patcher! with { Plugin = request.Plugin };
    }

    private static void MatrixCell(WorkerRequest request, WorkerChannel channel)
    {
        var job = request.Matrix!;
        var patcher = Plugin(request);
        // The stored cases of a plug-in's cell name it: the catalog they replay from is the built-ins and it.
        var stored = new StoredCases(job.FailureDb, [.. PatcherRegistry.BuiltIn, patcher]);
        var settings = new CheckCells.Settings(job.Runs, job.Seed, job.MaxCpus, ScheduleSearch.Get(job.Strategy))
        {
            Stored = stored, FailureDb = job.FailureDb, Layouts = LayoutsFrom.Load(job.LayoutsFrom), LayoutsFrom = job.LayoutsFrom, Prove = job.Prove,
        };
        var outcome = CheckCells.RunHere(patcher, FetchModelRegistry.Get(job.Model), job.Nmi, settings, job.FailRuns) with { Replays = stored.Replays };
        channel.Send(new WorkerLine(WorkerLine.Result) { Value = WorkerJson.Element(outcome) });
    }

    private static void Exhaustive(WorkerRequest request, WorkerChannel channel)
    {
        var job = request.Exhaustive!;
        var patcher = Plugin(request);
        ExhaustiveCheck.RunPatcher(patcher, job.Models.Select(FetchModelRegistry.Get).ToArray(), job,
            header => channel.Send(WorkerLine.Section, header),
            cell => channel.Send(new WorkerLine(WorkerLine.Cell) { Value = WorkerJson.Element(cell) }));
        channel.Send(WorkerLine.Result);
    }

    /// <summary>A whole command run here, its stdout and stderr passed back line by line, then its exit code.</summary>
    private static int Command(WorkerRequest request, WorkerChannel channel, Func<RootCommand> root)
    {
        EndOnFatal(channel);
        Plugins.Skip = (request.Skip ?? []).ToHashSet(StringComparer.Ordinal);
        int code = Cli.Run(root(), request.Args ?? []);
        Console.Out.Flush();
        Console.Error.Flush();
        channel.Send(new WorkerLine(WorkerLine.Exit) { Code = code });
        return code;
    }

    /// <summary>Text written to the console, sent to the supervisor a line at a time (and whatever is left at a flush).</summary>
    private sealed class RelayWriter(WorkerChannel channel, string kind) : TextWriter
    {
        private readonly StringBuilder _pending = new();
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_pending)
            {
                _pending.Append(value);
                if (value == '\n') Send();
            }
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            lock (_pending)
            {
                _pending.Append(value);
                if (value.Contains('\n')) Send();
            }
        }

        public override void Flush()
        {
            lock (_pending) if (_pending.Length > 0) Send();
        }

        private void Send()
        {
            channel.Send(new WorkerLine(kind) { Text = _pending.ToString() });
            _pending.Clear();
        }
    }
}
