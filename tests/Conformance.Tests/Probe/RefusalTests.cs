using System.Diagnostics;
using System.Globalization;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using Conformance.Probe.Rows;
using Conformance.Probe.Run;
using Conformance.Tests.Support;

namespace Conformance.Tests.Probe;

/// <summary>Where the probe cannot run: a one-line error naming the cause, exit 2, nothing left mapped or running.</summary>
[Collection(ProbeHardware.Name)]
public class RefusalTests
{
    [Fact]
    public void A_kernel_that_refuses_executable_memory_gets_one_line_naming_both_ways_tried_and_nothing_stays_mapped()
    {
        if (!EngineTests.Here) return;
        var system = new CountingSystem(LinuxSystem.Instance, refuseExec: true);
        var settings = new ProbeSettings { System = system };
        var e = Assert.Throws<ProbeUnavailableException>(() => CellRunner.Run(new Store4(), Placement.Inside16, settings, settings.ChooseCores(), TimeSpan.FromMilliseconds(10)));
        Assert.StartsWith("the kernel refuses executable memory: read-write-execute pages: mprotect PROT_READ|PROT_WRITE|PROT_EXEC: ", e.Message);
        Assert.Contains("; a double mapping (memfd_create + two mmaps): mmap PROT_READ|PROT_EXEC (the reader's view): ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(2, system.Reservations.Count);   // one per way tried
        Assert.True(system.Balanced, system.Ledger);
        // The range may be reused at once (glibc's arenas like 64 MiB-aligned holes), but not by anything of ours:
        // no executable page, no memfd page, no reservation of ours left.
        var maps = File.ReadAllLines("/proc/self/maps");
        foreach (var (address, length) in system.Reservations)
            Assert.DoesNotContain(maps, l => Overlaps(l, (ulong)address, (ulong)address + length)
                && (l.Split(' ')[1].Contains('x') || l.Contains(ExecutableArena.MemfdName) || l.StartsWith($"{(ulong)address:x}-{(ulong)address + length:x} ", StringComparison.Ordinal)));
        Assert.True(EngineTests.NoProbeThreads(), "a probe thread is still alive");
    }

    [Fact]
    public void One_core_is_refused_before_anything_is_mapped()
    {
        if (!EngineTests.Here) return;
        var system = new CountingSystem(LinuxSystem.Instance);
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            var all = Affinity.Allowed();
            Affinity.Set([all[0]]);   // this thread may run on one core only, as on a 1-core machine
            try { ProbeRunner.Run([new Store4()], [Placement.Inside16], TimeSpan.FromMilliseconds(10), new ProbeSettings { System = system }); }
            catch (Exception e) { caught = e; }
        });
        thread.Start();
        thread.Join();
        var refused = Assert.IsType<ProbeUnavailableException>(caught);
        Assert.StartsWith("one core: the probe needs a reader and a writer on two distinct cores", refused.Message);
        Assert.Empty(system.Reservations);
    }

    [Fact]
    public void The_command_line_refuses_one_core_with_exit_2_and_one_line()
    {
        if (!EngineTests.Here) return;
        // A process started from a thread pinned to one core inherits that mask.
        (int Exit, string Out, string Err) result = default;
        var thread = new Thread(() =>
        {
            Affinity.Set([Affinity.Allowed()[0]]);
            result = CliProcess.Run("probe", "--seconds", "0.1");
        });
        thread.Start();
        thread.Join();
        Assert.Equal(2, result.Exit);
        Assert.StartsWith("conformance: probe: one core: ", result.Err!);
        Assert.Single(result.Err!.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Another_platform_is_refused_naming_it()
    {
        var e = Assert.Throws<ProbeUnavailableException>(() => ProbeSettings.CheckPlatform(true, System.Runtime.InteropServices.Architecture.Arm64, "Linux 6.1"));
        Assert.Equal("the probe runs on x86-64 Linux only; this is Linux 6.1 on Arm64", e.Message);
        Assert.Throws<ProbeUnavailableException>(() => ProbeSettings.CheckPlatform(false, System.Runtime.InteropServices.Architecture.X64, "Darwin"));
        ProbeSettings.CheckPlatform(true, System.Runtime.InteropServices.Architecture.X64, "Linux");
    }

    [Theory]
    [InlineData("probe --shape store3", "--shape: unknown shape 'store3'; known: bytes, store2")]
    [InlineData("probe --placement straddle8@1", "--placement: unknown placement 'straddle8@1'")]
    [InlineData("probe --cores 0,0", "probe: --cores 0,0: the reader and the writer need two distinct cores")]
    [InlineData("probe --cores zero", "--cores zero: not two core numbers")]
    [InlineData("probe --memory wx", "--memory wx: unknown")]
    [InlineData("probe --seconds 0", "--seconds 0: must be more than 0")]
    [InlineData("probe --shape aligned8 --placement straddle64@2", "probe: none of the chosen rows applies")]
    [InlineData("probe --from cf9:nope", "")]
    public void Bad_input_gets_one_line_and_exit_2(string args, string message)
    {
        var (exit, _, error) = CliProcess.Run(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    private static bool Overlaps(string mapsLine, ulong start, ulong end)
    {
        var range = mapsLine.Split(' ')[0].Split('-');
        ulong a = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), b = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return a < end && start < b;
    }
}
