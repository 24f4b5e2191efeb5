using System.Runtime.InteropServices;
using Conformance.Scanning;

namespace Conformance.Tests.Scanning;

/// <summary>The ELF files the scan tests read: the hand-made ones in Data/Elf and the runtime's own libraries.</summary>
internal static class ScanData
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Data", "Elf");
    public static string Object => Path.Combine(Dir, "linux-tables.o");
    public static string Vmlinux => Path.Combine(Dir, "linux-tables.vmlinux");

    /// <summary>A library of the runtime running the tests (every machine with the .NET SDK has it).</summary>
    public static string Runtime(string name)
    {
        string path = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), name);
        Assert.True(File.Exists(path), $"{path}: the runtime's {name} is not there (is this an x86-64 Linux .NET runtime?)");
        return path;
    }

    private static readonly Dictionary<string, BinaryScan> Scans = new();

    /// <summary>Each file is scanned once per test run (libcoreclr takes a second or two).</summary>
    public static BinaryScan Scan(string path)
    {
        lock (Scans)
        {
            if (!Scans.TryGetValue(path, out var scan)) Scans[path] = scan = BinaryScan.Of(path);
            return scan;
        }
    }

    /// <summary>A copy of <paramref name="source"/> with some bytes changed (a file in the temp directory; the caller deletes it).</summary>
    public static string Altered(string source, Action<byte[]> change, int? keep = null)
    {
        var bytes = File.ReadAllBytes(source);
        if (keep is { } n) bytes = bytes[..n];
        change(bytes);
        string path = Path.Combine(Path.GetTempPath(), $"conformance-scan-{Guid.NewGuid():N}{Path.GetExtension(source)}");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
