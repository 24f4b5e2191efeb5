using System.Runtime.InteropServices;
using System.Text.Json;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Rows;
using Conformance.Probe.Run;

namespace Conformance.Tests.Probe;

/// <summary>
/// The probe's engine on this machine's hardware: generated code, pinned threads, counters, the
/// JSON. Short and deterministic in what they assert: no test asserts a tear rate. Where the probe
/// cannot run (not x86-64 Linux), each asserts the one-line refusal instead.
/// </summary>
[Collection(ProbeHardware.Name)]
public class EngineTests
{
    internal static bool Here => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 && Environment.ProcessorCount >= 2;

    [Fact]
    public void Every_mixture_of_every_cell_lands_in_its_own_counter()
    {
        if (!Here)
        {
            Assert.Throws<ProbeUnavailableException>(ProbeSettings.CheckPlatform);
            return;
        }
        int checkedMixtures = 0;
        foreach (var row in ProbeRows.All)
            foreach (var placement in Placement.All)
            {
                if (!ProbeLayout.Build(row, placement, 0).Cycle.Applies) continue;
                var (arena, layout) = CellRunner.Map(row, placement, new ProbeSettings());
                using (arena)
                {
                    var counted = layout.Mixtures.Where(m => m.Kind != MixtureKind.Holding).ToArray();
                    foreach (var m in counted)
                    {
                        var counters = CellRunner.RunOnce(arena, layout, m);
                        for (int i = 0; i < counted.Length; i++)
                            Assert.True(counters[counted[i].Counter] == (counted[i] == m ? 1 : 0), $"{row} at {placement}: {m} counted {counters[counted[i].Counter]} on {counted[i]}");
                        Assert.Equal(counted.Length, counters.Count);
                        checkedMixtures++;
                    }
                }
            }
        Assert.True(checkedMixtures > 300, $"only {checkedMixtures} mixtures");
    }

    [Fact]
    public void A_short_run_pins_both_threads_counts_every_iteration_and_leaves_nothing_behind()
    {
        var settings = new ProbeSettings();
        if (!Here)
        {
            Assert.Throws<ProbeUnavailableException>(ProbeSettings.CheckPlatform);
            return;
        }
        var cores = settings.ChooseCores();
        var system = new CountingSystem(LinuxSystem.Instance);
        var o = CellRunner.Run(new SpinBytes(), Placement.Parse("straddle16@2"), settings with { System = system }, cores, TimeSpan.FromMilliseconds(40));
        Assert.Equal(cores.Reader, o.ReaderCpu);
        Assert.Equal(cores.Writer, o.WriterCpu);
        Assert.True(o.Iterations > 0 && o.Cycles > 0, $"{o.Iterations} iterations, {o.Cycles} cycles");
        Assert.Equal(0, o.Unaccounted);                     // every call went to a counting stub
        Assert.Equal(o.Iterations, o.Counts.Sum(c => c.Count));
        Assert.True(system.Balanced, system.Ledger);        // unmapped, memfd closed
        Assert.True(NoProbeThreads(), "a probe thread is still alive");   // both threads joined
    }

    [Fact]
    public void The_double_mapping_runs_the_same_code_through_a_memfd_alias()
    {
        if (!Here) return;
        var settings = new ProbeSettings { Memory = MemoryPolicy.DoubleMapping };
        var (arena, layout) = CellRunner.Map(new Store4(), Placement.Inside16, settings);
        using (arena)
        {
            Assert.Equal(MemoryPolicy.DoubleMapping, arena.Policy);
            Assert.NotEqual(layout.Site, arena.WriteAlias(layout.Site));
            Assert.Contains(File.ReadLines("/proc/self/maps"), l => l.Contains(ExecutableArena.MemfdName) && l.Contains("r-xs"));
            var torn = layout.Mixtures.First(m => m.Kind == MixtureKind.Torn);
            Assert.Equal(1, CellRunner.RunOnce(arena, layout, torn)[torn.Counter]);
        }
        Assert.DoesNotContain(File.ReadLines("/proc/self/maps"), l => l.Contains(ExecutableArena.MemfdName));
        var o = CellRunner.Run(new Store4(), Placement.Inside16, settings, settings.ChooseCores(), TimeSpan.FromMilliseconds(20));
        Assert.Equal("DoubleMapping", o.Memory);
        Assert.Equal(0, o.Unaccounted);
    }

    [Fact]
    public void The_report_has_the_cpu_every_cell_and_the_verdict_in_text_and_json()
    {
        if (!Here)
        {
            Assert.Throws<ProbeUnavailableException>(() => ProbeRunner.Run([new Store4()], [Placement.Inside16], TimeSpan.FromMilliseconds(20), new ProbeSettings()));
            return;
        }
        var lines = new List<string>();
        var report = ProbeRunner.Run([new Store4(), new Aligned8()], [Placement.Inside16, Placement.Parse("straddle64@3")], TimeSpan.FromMilliseconds(60), new ProbeSettings(), lines.Add);
        Assert.Equal(4, report.Cells.Count);
        Assert.Equal(3, lines.Count(l => l.StartsWith('[')));   // progress: one line per cell that runs (aligned8 does not apply across a line)
        Assert.False(string.IsNullOrWhiteSpace(report.Cpu.Vendor));
        Assert.True(report.Cpu.Family > 0 && report.Cpu.LogicalCpus >= 2);
        string text = ProbeText.Render(report);
        Assert.Contains($"CPU: {report.Cpu.Vendor} family {report.Cpu.Family}", text);
        Assert.Contains("| aligned8        | straddle64@3  |           n/a |", text);
        Assert.Contains("tightest model consistent with this CPU: ", text);

        using var json = JsonDocument.Parse(ProbeJson.Render(report));
        var root = json.RootElement;
        Assert.Equal(report.Cpu.Vendor, root.GetProperty("cpu").GetProperty("vendor").GetString());
        Assert.Equal(report.Cpu.Microcode, root.GetProperty("cpu").GetProperty("microcode").GetString());
        var cells = root.GetProperty("cells").EnumerateArray().ToArray();
        Assert.Equal(4, cells.Length);
        var first = cells[0].GetProperty("observed");
        Assert.Equal(report.Cells[0].Observation!.Calls, first.GetProperty("calls").GetInt64());
        Assert.Equal(first.GetProperty("calls").GetInt64(), first.GetProperty("mixtures").EnumerateArray().Sum(m => m.GetProperty("calls").GetInt64()));
        Assert.Equal(JsonValueKind.Null, cells.Single(c => c.GetProperty("row").GetString() == "aligned8" && c.GetProperty("placement").GetString() == "straddle64@3").GetProperty("observed").ValueKind);
        Assert.Equal(5, root.GetProperty("models").GetArrayLength());
        Assert.Equal(report.Verdict.Tightest, root.GetProperty("tightestConsistentModel").GetString());
    }

    [Fact]
    public void Cpuid_and_proc_cpuinfo_agree_on_the_vendor()
    {
        if (!Here) return;
        var cpu = CpuInfo.Read(new ProbeSettings());
        string? vendor = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal))?.Split(':')[1].Trim();
        Assert.Equal(vendor, cpu.Vendor);
        string? family = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu family", StringComparison.Ordinal))?.Split(':')[1].Trim();
        Assert.Equal(family, cpu.Family.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Whether no thread of this process is a probe thread, given a second for the OS to tear down a
    /// thread whose managed body has returned (Join returns then; its task lingers in /proc a moment).
    /// </summary>
    internal static bool NoProbeThreads()
    {
        for (int i = 0; i < 100; i++)
        {
            if (!ThreadNames().Any(n => n.StartsWith("probe-", StringComparison.Ordinal))) return true;
            Thread.Sleep(10);
        }
        return false;
    }

    /// <summary>The names of this process's threads (/proc/self/task/*/comm).</summary>
    internal static string[] ThreadNames() =>
        Directory.GetDirectories("/proc/self/task").Select(d => { try { return File.ReadAllText(Path.Combine(d, "comm")).Trim(); } catch (IOException) { return ""; } }).ToArray();
}

/// <summary>The real system calls, counting what is mapped and open; optionally refusing executable memory (EACCES), as a W^X kernel with no memfd exec would.</summary>
internal sealed class CountingSystem(IProbeSystem inner, bool refuseExec = false) : IProbeSystem
{
    private const int Eacces = 13;
    private readonly List<(nint Address, nuint Length)> _maps = new();
    private readonly HashSet<int> _fds = new();

    public List<(nint Address, nuint Length)> Reservations { get; } = new();

    public bool Balanced => _maps.Count == 0 && _fds.Count == 0;
    public string Ledger => $"{_maps.Count} mapping(s) and {_fds.Count} fd(s) left";

    public nint Map(nint address, nuint length, int protection, int flags, int fd, long offset, out int error)
    {
        if (refuseExec && (protection & Libc.ProtExec) != 0) { error = Eacces; return Libc.MapFailed; }
        nint r = inner.Map(address, length, protection, flags, fd, offset, out error);
        if (r != Libc.MapFailed && (flags & Libc.MapFixed) == 0)
        {
            _maps.Add((r, length));
            if (protection == Libc.ProtNone) Reservations.Add((r, length));
        }
        return r;
    }

    public int Unmap(nint address, nuint length, out int error)
    {
        int r = inner.Unmap(address, length, out error);
        if (r == 0) _maps.Remove((address, length));
        return r;
    }

    public int Protect(nint address, nuint length, int protection, out int error)
    {
        if (refuseExec && (protection & Libc.ProtExec) != 0) { error = Eacces; return -1; }
        return inner.Protect(address, length, protection, out error);
    }

    public int MemfdCreate(string name, out int error)
    {
        int fd = inner.MemfdCreate(name, out error);
        if (fd >= 0) _fds.Add(fd);
        return fd;
    }

    public int Truncate(int fd, long length, out int error) => inner.Truncate(fd, length, out error);

    public int Close(int fd, out int error)
    {
        _fds.Remove(fd);
        return inner.Close(fd, out error);
    }
}
