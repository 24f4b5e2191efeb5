using System.Runtime.InteropServices;

namespace Conformance.Probe.Native;

/// <summary>The few libc calls the probe makes (Linux x86-64): memory mappings, memfd, CPU affinity.</summary>
internal static partial class Libc
{
    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    public const int MapShared = 0x01, MapPrivate = 0x02, MapFixed = 0x10, MapAnonymous = 0x20, MapNoReserve = 0x4000;
    public const uint MfdCloexec = 1;
    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static unsafe partial int SchedSetaffinity(int pid, nuint size, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static unsafe partial int SchedGetaffinity(int pid, nuint size, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_getcpu", SetLastError = true)]
    public static partial int SchedGetcpu();

    /// <summary>"mmap: Permission denied (EACCES)"-style text for the last error.</summary>
    public static string Describe(string call, int errno) => $"{call}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>The protection bits as C spells them.</summary>
    public static string ProtectionText(int protection) =>
        protection == ProtNone ? "PROT_NONE"
        : string.Join("|", new[] { (ProtRead, "PROT_READ"), (ProtWrite, "PROT_WRITE"), (ProtExec, "PROT_EXEC") }.Where(p => (protection & p.Item1) != 0).Select(p => p.Item2));
}
