using System.Text.Json;
using Conformance.Probe.Layout;
using Conformance.Probe.Prediction;
using Conformance.Probe.Verdict;

namespace Conformance.Probe.Run;

/// <summary>A probe report as JSON (<c>probe --json FILE</c>): every figure of the text, and every mixture with its count and the models that allow it.</summary>
public static class ProbeJson
{
    public const int Version = 1;

    public static string Render(ProbeReport report) => JsonSerializer.Serialize(new
    {
        probeVersion = Version,
        cpu = new
        {
            vendor = report.Cpu.Vendor, family = report.Cpu.Family, model = report.Cpu.Model, stepping = report.Cpu.Stepping,
            modelName = report.Cpu.ModelName, microcode = report.Cpu.Microcode, logicalCpus = report.Cpu.LogicalCpus,
            hypervisor = report.Cpu.Hypervisor, kernel = report.Cpu.Kernel,
        },
        readerCore = report.ReaderCore, writerCore = report.WriterCore, memory = report.Memory,
        secondsPerCell = report.PerCell.TotalSeconds, loadBefore = report.LoadBefore, loadAfter = report.LoadAfter,
        cells = report.Cells.Select(Cell),
        models = report.Verdict.Models.Select(m => new
        {
            name = m.Model, contradicted = m.Contradicted,
            evidence = m.Evidence.Select(e => new { row = e.Row, placement = e.Placement.Name, mixture = e.Mixture.Hex, calls = e.Count }),
        }),
        tightestConsistentModel = report.Verdict.Tightest,
    }, new JsonSerializerOptions { WriteIndented = true });

    private static object Cell(ProbeCell c)
    {
        var o = c.Observation;
        return new
        {
            row = c.Prediction.Row.Name, placement = c.Prediction.Placement.Name, lineOffset = c.Prediction.Placement.LineOffset,
            notApplicable = c.Prediction.NotApplicable,
            stores = c.Prediction.Layout?.Cycle.Stores.Select(s => s.ToString()),
            tearPossibleUnder = c.Prediction.Models.Where(m => m.TearPossible).Select(m => m.Model),
            observed = o is null ? null : new
            {
                calls = o.Calls, iterations = o.Iterations, writerCycles = o.Cycles, tears = o.Tears,
                tearsAtomicForbids = Classifier.TearsForbiddenBy(c.Prediction, o, "atomic"),
                rate = TearBound.Rate(o.Tears, o.Calls), upper95WhenNone = o.Tears == 0 ? TearBound.Upper95WhenNone(o.Calls) : null,
                readerCpu = o.ReaderCpu, writerCpu = o.WriterCpu, seconds = o.Elapsed.TotalSeconds,
                mixtures = o.Counts.Select(m => new
                {
                    bytes = m.Mixture.Hex, instruction = m.Mixture.Instruction, kind = m.Mixture.Kind.ToString().ToLowerInvariant(), calls = m.Count,
                    allowedBy = c.Prediction.Models.Where(p => p.Allows(m.Mixture)).Select(p => p.Model),
                }),
            },
        };
    }
}
