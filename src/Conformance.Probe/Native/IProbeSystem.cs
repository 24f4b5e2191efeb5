namespace Conformance.Probe.Native;

/// <summary>
/// The system calls the probe's memory goes through: the real ones (<see cref="LinuxSystem"/>), or a
/// test's wrapper that refuses some (a kernel that forbids executable memory) and counts what is
/// left mapped. Every call returns -1 (or <see cref="Libc.MapFailed"/>) and sets <c>error</c> on failure.
/// </summary>
internal interface IProbeSystem
{
    nint Map(nint address, nuint length, int protection, int flags, int fd, long offset, out int error);
    int Unmap(nint address, nuint length, out int error);
    int Protect(nint address, nuint length, int protection, out int error);
    int MemfdCreate(string name, out int error);
    int Truncate(int fd, long length, out int error);
    int Close(int fd, out int error);
}

/// <summary>The real system calls, through libc.</summary>
internal sealed class LinuxSystem : IProbeSystem
{
    public static readonly LinuxSystem Instance = new();

    public nint Map(nint address, nuint length, int protection, int flags, int fd, long offset, out int error) =>
        Check(Libc.Mmap(address, length, protection, flags, fd, offset), out error);

    public int Unmap(nint address, nuint length, out int error) => Check(Libc.Munmap(address, length), out error);
    public int Protect(nint address, nuint length, int protection, out int error) => Check(Libc.Mprotect(address, length, protection), out error);
    public int MemfdCreate(string name, out int error) => Check(Libc.MemfdCreate(name, Libc.MfdCloexec), out error);
    public int Truncate(int fd, long length, out int error) => Check(Libc.Ftruncate(fd, length), out error);
    public int Close(int fd, out int error) => Check(Libc.Close(fd), out error);

    private static nint Check(nint result, out int error)
    {
        error = result == -1 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : 0;
        return result;
    }

    private static int Check(int result, out int error)
    {
        error = result == -1 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : 0;
        return result;
    }
}
