using System.CommandLine;
using Conformance.Cli;

// The command line: `check` runs the conformance job; `list` names what it checks; `replay` and `explain` show one case; `scan` counts an ELF file's sites; `probe` asks the CPU.
// Plug-ins' code never runs in this process: in a worker process (the hidden `worker` command) it supervises.
Conformance.Patching.PluginCalls.Forbidden = true;
return Cli.Run(Root(), args);

static RootCommand Root() => new("Conformance: property-based conformance tests for live x86 code patching.")
{
    CheckCommand.Create(),
    ListCommand.Create(),
    ScenariosCommand.Create(),
    ReplayCommand.Create(),
    ExplainCommand.Create(),
    MergeCommand.Create(),
    BenchCommand.Create(),
    ScanCommand.Create(),
    AlarmsCommand.Create(),
    ProbeCommand.Create(),
    Conformance.Cli.Worker.WorkerHost.Create(Root),
};
