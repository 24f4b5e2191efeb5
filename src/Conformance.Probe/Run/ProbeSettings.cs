using System.Runtime.InteropServices;
using Conformance.Probe.Native;

namespace Conformance.Probe.Run;

/// <summary>How the probe runs: which memory it asks for and which cores it uses.</summary>
public sealed record ProbeSettings
{
    public MemoryPolicy Memory { get; init; } = MemoryPolicy.Auto;

    /// <summary>The reader's and the writer's core, or null: the first two the process may run on.</summary>
    public (int Reader, int Writer)? Cores { get; init; }

    /// <summary>How long to wait for a thread after the stop flag is set before calling it hung.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The system calls the memory goes through (a test substitutes a refusing one).</summary>
    internal IProbeSystem System { get; init; } = LinuxSystem.Instance;

    /// <summary>Throws, naming the platform, unless this is x86-64 Linux.</summary>
    public static void CheckPlatform() => CheckPlatform(OperatingSystem.IsLinux(), RuntimeInformation.ProcessArchitecture, RuntimeInformation.OSDescription);

    internal static void CheckPlatform(bool linux, Architecture architecture, string os)
    {
        if (!linux || architecture != Architecture.X64)
            throw new ProbeUnavailableException($"the probe runs on x86-64 Linux only; this is {os} on {architecture}");
    }

    /// <summary>The two cores to use: the requested ones if the calling thread may run on both, else the first two it may run on.</summary>
    public (int Reader, int Writer) ChooseCores()
    {
        var allowed = Affinity.Allowed();
        if (Cores is { } c)
        {
            if (c.Reader == c.Writer) throw new ProbeUnavailableException($"--cores {c.Reader},{c.Writer}: the reader and the writer need two distinct cores");
            foreach (int cpu in new[] { c.Reader, c.Writer })
                if (!allowed.Contains(cpu))
                    throw new ProbeUnavailableException($"--cores: this process may not run on cpu{cpu} (it may run on {Cpus(allowed)})");
            return c;
        }
        if (allowed.Length < 2)
            throw new ProbeUnavailableException($"one core: the probe needs a reader and a writer on two distinct cores, and this process may run on {Cpus(allowed)} only");
        return (allowed[0], allowed[1]);
    }

    private static string Cpus(int[] cpus) => string.Join(", ", cpus.Select(c => $"cpu{c}"));
}
