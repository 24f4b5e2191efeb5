using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Rows;

namespace Conformance.Probe.Run;

/// <summary>A thread of the probe did not come back after the stop flag: its memory stays mapped (unmapping it would crash it).</summary>
public sealed class ProbeHangException(string message) : Exception(message);

/// <summary>
/// Runs one cell on hardware: maps the cell's layout, starts the reader and the writer on their
/// cores (each thread pins itself with sched_setaffinity, then calls its generated code), lets them
/// run, sets the stop flag, joins both, reads the counters and unmaps everything. The writer stops
/// only after a whole cycle, so the reader is never left on the spin.
/// </summary>
public static unsafe class CellRunner
{
    /// <summary>Maps the cell's memory and lays its code out; the caller disposes the arena.</summary>
    internal static (ExecutableArena Arena, ProbeLayout Layout) Map(ProbeRow row, Placement placement, ProbeSettings settings)
    {
        var shape = ProbeLayout.Build(row, placement, 0);   // the offsets do not depend on the base
        if (!shape.Cycle.Applies) throw new ArgumentException($"{row.Name} does not apply at {placement}: {shape.Cycle.NotApplicable}");
        var arena = ExecutableArena.Create(settings.System, ProbeLayout.ReservationSize, shape.CodePages, [ProbeLayout.DataPage], settings.Memory);
        try
        {
            var layout = ProbeLayout.Build(row, placement, arena.Base);
            if (!layout.CodePages.SequenceEqual(shape.CodePages)) throw new InvalidOperationException("the layout's pages moved with its base");
            arena.WriteCode(arena.Base + ProbeLayout.ReaderPage, layout.ReaderImage);
            foreach (var (address, code) in layout.Stubs) arena.WriteCode(address, code);
            ulong writer = arena.Base + ProbeLayout.WriterPage;
            arena.WriteCode(writer, layout.WriterCode(writer, arena.WriteAlias(layout.Site)));
            return (arena, layout);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    /// <summary>Runs the cell for <paramref name="duration"/> on the two cores.</summary>
    public static CellObservation Run(ProbeRow row, Placement placement, ProbeSettings settings, (int Reader, int Writer) cores, TimeSpan duration)
    {
        var (arena, layout) = Map(row, placement, settings);
        bool joined = false;
        try
        {
            var reader = new PinnedCall("probe-reader", cores.Reader, arena.Base + ProbeLayout.EntryOffset);
            var writer = new PinnedCall("probe-writer", cores.Writer, arena.Base + ProbeLayout.WriterPage);
            var started = DateTime.UtcNow;
            reader.Start();
            writer.Start();
            string? pinFailure = reader.WaitPinned() ?? writer.WaitPinned();
            if (pinFailure is null) Thread.Sleep(duration);
            arena.WriteData(layout.Flag, 1);
            bool writerBack = writer.Join(settings.JoinTimeout), readerBack = reader.Join(settings.JoinTimeout);
            if (!writerBack || !readerBack)
                throw new ProbeHangException($"{row.Name} at {placement}: the {(writerBack ? "reader" : "writer")} did not return within {settings.JoinTimeout.TotalSeconds:0} s of the stop flag; its memory stays mapped");
            joined = true;
            if (pinFailure is not null) throw new ProbeUnavailableException(pinFailure);
            var elapsed = DateTime.UtcNow - started;
            var counts = layout.Mixtures.Where(m => m.Kind != MixtureKind.Holding)
                .Select(m => new MixtureCount(m, arena.ReadData(layout.Counter(m.Counter)))).ToArray();
            return new CellObservation(row.Name, placement, counts, reader.Result, writer.Result, reader.Cpu, writer.Cpu, elapsed, arena.Policy.ToString());
        }
        finally
        {
            if (joined) arena.Dispose();
        }
    }

    /// <summary>
    /// With no writer: puts <paramref name="mixture"/> at the site, runs the reader for one iteration
    /// (the stop flag set before it starts) on the calling thread, and returns every counter: the
    /// mixture's must be 1 and the others 0 (the layout's claim that each mixture is counted by its own stub).
    /// Indexed by <see cref="Mixture.Counter"/>.
    /// </summary>
    internal static IReadOnlyList<long> RunOnce(ExecutableArena arena, ProbeLayout layout, Mixture mixture)
    {
        if (mixture.Kind == MixtureKind.Holding) throw new ArgumentException("the spin never returns with no writer");
        int count = layout.Mixtures.Max(m => m.Counter) + 1;
        var counters = Enumerable.Range(0, count).Select(layout.Counter).ToArray();
        foreach (var c in counters) arena.WriteData(c, 0);
        arena.WriteCode(layout.Site, mixture.Bytes);
        arena.WriteData(layout.Flag, 1);
        long iterations = ((delegate* unmanaged<long>)(void*)(arena.Base + ProbeLayout.EntryOffset))();
        arena.WriteCode(layout.Site, layout.Old);
        if (iterations != 1) throw new InvalidOperationException($"the reader ran {iterations} iterations with the stop flag set, not 1");
        return counters.Select(arena.ReadData).ToArray();
    }

    /// <summary>A thread that pins itself to a core and calls generated code <c>long f(void)</c>.</summary>
    private sealed class PinnedCall
    {
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _pinned = new();
        private readonly int _core;
        private readonly ulong _entry;
        private string? _failure;

        public PinnedCall(string name, int core, ulong entry)
        {
            _core = core;
            _entry = entry;
            _thread = new Thread(Body, 256 * 1024) { Name = name, IsBackground = true };
        }

        public long Result { get; private set; }
        public int Cpu { get; private set; } = -1;

        public void Start() => _thread.Start();

        /// <summary>Waits until the thread is pinned (or failed to be); the failure, or null.</summary>
        public string? WaitPinned()
        {
            _pinned.Wait();
            return _failure;
        }

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);

        private void Body()
        {
            if (!Affinity.TryPin(_core, out _failure))
            {
                _failure = $"cannot pin {_thread.Name} to cpu{_core}: {_failure}";
                _pinned.Set();
                return;
            }
            Cpu = Affinity.Current();
            _pinned.Set();
            Result = ((delegate* unmanaged<long>)(void*)_entry)();
        }
    }
}
