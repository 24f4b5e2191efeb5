namespace Conformance.Probe.Native;

/// <summary>CPU affinity of the calling thread (sched_getaffinity / sched_setaffinity with pid 0).</summary>
internal static unsafe class Affinity
{
    private const int Words = 16;   // 1024 CPUs, glibc's cpu_set_t

    /// <summary>The CPUs the calling thread may run on, in ascending order.</summary>
    public static int[] Allowed()
    {
        ulong* mask = stackalloc ulong[Words];
        if (Libc.SchedGetaffinity(0, Words * sizeof(ulong), mask) != 0)
            throw new ProbeUnavailableException(Libc.Describe("sched_getaffinity", System.Runtime.InteropServices.Marshal.GetLastPInvokeError()));
        var cpus = new List<int>();
        for (int w = 0; w < Words; w++)
            for (int b = 0; b < 64; b++)
                if ((mask[w] & (1UL << b)) != 0) cpus.Add(w * 64 + b);
        return cpus.ToArray();
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false (with the reason) when the kernel refuses.</summary>
    public static bool TryPin(int cpu, out string? failure)
    {
        ulong* mask = stackalloc ulong[Words];
        for (int w = 0; w < Words; w++) mask[w] = 0;
        mask[cpu / 64] = 1UL << (cpu % 64);
        failure = Libc.SchedSetaffinity(0, Words * sizeof(ulong), mask) == 0 ? null
            : Libc.Describe($"sched_setaffinity cpu{cpu}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        return failure is null;
    }

    /// <summary>Restores the calling thread's affinity to <paramref name="cpus"/>.</summary>
    public static void Set(IReadOnlyList<int> cpus)
    {
        ulong* mask = stackalloc ulong[Words];
        for (int w = 0; w < Words; w++) mask[w] = 0;
        foreach (int c in cpus) mask[c / 64] |= 1UL << (c % 64);
        if (Libc.SchedSetaffinity(0, Words * sizeof(ulong), mask) != 0)
            throw new InvalidOperationException(Libc.Describe("sched_setaffinity", System.Runtime.InteropServices.Marshal.GetLastPInvokeError()));
    }

    /// <summary>The CPU the calling thread runs on now.</summary>
    public static int Current() => Libc.SchedGetcpu();
}
