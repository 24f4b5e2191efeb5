using Conformance.Probe.Layout;
using Conformance.Probe.Prediction;
using Conformance.Probe.Rows;
using Conformance.Probe.Verdict;

namespace Conformance.Probe.Run;

/// <summary>One cell of a probe run: the emulator's prediction and what the hardware did (null where the row does not apply).</summary>
public sealed record ProbeCell(CellPrediction Prediction, CellObservation? Observation);

/// <summary>A probe run: the machine, how it ran, every cell, and the verdict on the fetch models.</summary>
public sealed record ProbeReport(CpuInfo Cpu, int ReaderCore, int WriterCore, string Memory, TimeSpan PerCell, string LoadBefore, string LoadAfter,
    IReadOnlyList<ProbeCell> Cells, ProbeVerdict Verdict);

/// <summary>Runs the probe's cells on this machine, one after the other, and classifies the models.</summary>
public static class ProbeRunner
{
    /// <summary>
    /// Predicts every (row, placement) cell, then runs the applicable ones, splitting
    /// <paramref name="total"/> evenly among them; <paramref name="progress"/> hears one line per cell.
    /// </summary>
    public static ProbeReport Run(IReadOnlyList<ProbeRow> rows, IReadOnlyList<Placement> placements, TimeSpan total, ProbeSettings settings,
        Action<string>? progress = null)
    {
        ProbeSettings.CheckPlatform();
        var cores = settings.ChooseCores();
        var cpu = CpuInfo.Read(settings);
        var predictions = PredictionTable.Compute(rows, placements);
        int applicable = predictions.Count(p => p.Applies);
        if (applicable == 0) throw new ArgumentException("none of the chosen rows applies at the chosen placements");
        var perCell = total / applicable;
        progress?.Invoke($"{applicable} cells to run ({predictions.Count - applicable} do not apply), {perCell.TotalSeconds:0.###} s each, reader on cpu{cores.Reader}, writer on cpu{cores.Writer}");
        string loadBefore = LoadAverage();
        var cells = new List<ProbeCell>();
        string memory = "";
        int done = 0;
        foreach (var p in predictions)
        {
            if (!p.Applies)
            {
                cells.Add(new ProbeCell(p, null));
                continue;
            }
            var o = CellRunner.Run(p.Row, p.Placement, settings, cores, perCell);
            memory = o.Memory;
            cells.Add(new ProbeCell(p, o));
            done++;
            progress?.Invoke($"[{done}/{applicable}] {p.Row.Name} at {p.Placement}: {o.Calls:N0} calls, {o.Tears:N0} torn, {o.Cycles:N0} writer cycles");
        }
        var verdict = Classifier.Classify(cells.Where(c => c.Observation is not null).Select(c => (c.Prediction, c.Observation!)).ToArray());
        return new ProbeReport(cpu, cores.Reader, cores.Writer, memory, perCell, loadBefore, LoadAverage(), cells, verdict);
    }

    /// <summary>The 1, 5 and 15 minute load averages (/proc/loadavg), or "unknown".</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}
