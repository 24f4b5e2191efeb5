using System.CommandLine;
using Conformance.Cli;

// The command line: `check` runs the conformance job; `list` names what it checks; `replay` and `explain` show one case; `scan` counts an ELF file's sites; `probe` asks the CPU.
var root = new RootCommand("Conformance: property-based conformance tests for live x86 code patching.")
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
};
return Cli.Run(root, args);
