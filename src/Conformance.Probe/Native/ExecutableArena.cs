namespace Conformance.Probe.Native;

/// <summary>How the probe gets memory it can both execute and rewrite while another core executes it.</summary>
public enum MemoryPolicy
{
    /// <summary>Read-write-execute pages if the kernel allows them, else the double mapping.</summary>
    Auto,
    /// <summary>Code pages mapped read-write-execute; the writer stores at the addresses the reader runs.</summary>
    Rwx,
    /// <summary>
    /// W^X: one memfd mapped twice, read-execute where the reader runs it and read-write elsewhere
    /// for the writer (the same physical page, so a store through one is an instruction change at the other).
    /// </summary>
    DoubleMapping,
}

/// <summary>The probe cannot run here: not x86-64 Linux, one core, no executable memory, a layout it cannot make safe.</summary>
public sealed class ProbeUnavailableException(string message) : Exception(message);

/// <summary>
/// A reservation of address space (PROT_NONE) with code pages and data pages at fixed offsets in it:
/// the code pages read-write-execute (<see cref="MemoryPolicy.Rwx"/>) or backed by a memfd mapped
/// read-execute there and read-write at an alias (<see cref="MemoryPolicy.DoubleMapping"/>). Whatever
/// fails half-way is unmapped before the exception leaves; <see cref="Dispose"/> unmaps the rest.
/// </summary>
internal sealed unsafe class ExecutableArena : IDisposable
{
    public const string MemfdName = "conformance-probe";
    public static int PageSize => Environment.SystemPageSize;

    private readonly IProbeSystem _system;
    private readonly long[] _codePages;
    private nint _reservation, _alias;
    private nuint _size;
    private int _fd = -1;

    private ExecutableArena(IProbeSystem system, long[] codePages)
    {
        _system = system;
        _codePages = codePages;
    }

    /// <summary>Where the reservation starts.</summary>
    public ulong Base => (ulong)_reservation;

    public ulong Size => _size;

    /// <summary>The policy in force (never <see cref="MemoryPolicy.Auto"/>).</summary>
    public MemoryPolicy Policy { get; private set; }

    /// <summary>Whether everything this arena mapped has been unmapped (and its memfd closed).</summary>
    public bool Released => _reservation == 0 && _alias == 0 && _fd < 0;

    /// <summary>
    /// Reserves <paramref name="size"/> bytes and maps the pages at the given offsets (multiples of
    /// the page size). The one-line error of a refusal names each way tried and the call that failed.
    /// </summary>
    public static ExecutableArena Create(IProbeSystem system, long size, IReadOnlyList<long> codePages, IReadOnlyList<long> dataPages, MemoryPolicy policy)
    {
        var code = codePages.Distinct().Order().ToArray();
        if (code.Concat(dataPages).Any(p => p % PageSize != 0 || p < 0 || p + PageSize > size))
            throw new ArgumentException("page offsets must be page-aligned and inside the reservation");
        var tried = new List<string>();
        foreach (var p in policy == MemoryPolicy.Auto ? [MemoryPolicy.Rwx, MemoryPolicy.DoubleMapping] : new[] { policy })
        {
            var arena = new ExecutableArena(system, code);
            string? failure = arena.TryMap(size, p, dataPages);
            if (failure is null) return arena;
            arena.Dispose();
            tried.Add($"{(p == MemoryPolicy.Rwx ? "read-write-execute pages" : "a double mapping (memfd_create + two mmaps)")}: {failure}");
        }
        throw new ProbeUnavailableException($"the kernel refuses executable memory: {string.Join("; ", tried)}");
    }

    /// <summary>Maps everything under one policy; null on success, else the failed call (what is mapped stays for Dispose).</summary>
    private string? TryMap(long size, MemoryPolicy policy, IReadOnlyList<long> dataPages)
    {
        int error;
        nint r = _system.Map(0, (nuint)size, Libc.ProtNone, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve, -1, 0, out error);
        if (r == Libc.MapFailed) return Libc.Describe($"mmap {size >> 20} MiB PROT_NONE", error);
        _reservation = r;
        _size = (nuint)size;
        Policy = policy;
        foreach (long d in dataPages)
            if (_system.Protect(r + (nint)d, (nuint)PageSize, Libc.ProtRead | Libc.ProtWrite, out error) != 0)
                return Libc.Describe("mprotect PROT_READ|PROT_WRITE", error);
        if (policy == MemoryPolicy.Rwx)
        {
            foreach (long c in _codePages)
                if (_system.Protect(r + (nint)c, (nuint)PageSize, Libc.ProtRead | Libc.ProtWrite | Libc.ProtExec, out error) != 0)
                    return Libc.Describe("mprotect PROT_READ|PROT_WRITE|PROT_EXEC", error);
            return null;
        }
        int fd = _system.MemfdCreate(MemfdName, out error);
        if (fd < 0) return Libc.Describe("memfd_create", error);
        _fd = fd;
        long bytes = (long)_codePages.Length * PageSize;
        if (_system.Truncate(fd, bytes, out error) != 0) return Libc.Describe("ftruncate", error);
        nint alias = _system.Map(0, (nuint)bytes, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared, fd, 0, out error);
        if (alias == Libc.MapFailed) return Libc.Describe("mmap PROT_READ|PROT_WRITE (the writer's alias)", error);
        _alias = alias;
        for (int i = 0; i < _codePages.Length; i++)
        {
            nint at = r + (nint)_codePages[i];
            if (_system.Map(at, (nuint)PageSize, Libc.ProtRead | Libc.ProtExec, Libc.MapShared | Libc.MapFixed, fd, (long)i * PageSize, out error) != at)
                return Libc.Describe("mmap PROT_READ|PROT_EXEC (the reader's view)", error);
        }
        return null;
    }

    /// <summary>The address a store must use to change the code byte at <paramref name="address"/> (itself, with RWX pages).</summary>
    public ulong WriteAlias(ulong address)
    {
        long offset = (long)(address - Base);
        long page = offset - offset % PageSize;
        int index = Array.IndexOf(_codePages, page);
        if (index < 0) throw new ArgumentException($"0x{address:x} is not in a code page of the arena");
        return Policy == MemoryPolicy.Rwx ? address : (ulong)_alias + (ulong)((long)index * PageSize + offset % PageSize);
    }

    /// <summary>Copies code into its pages (through the alias when double-mapped).</summary>
    public void WriteCode(ulong address, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            int room = PageSize - (int)((address - Base) % (ulong)PageSize);
            int n = Math.Min(room, bytes.Length);
            bytes[..n].CopyTo(new Span<byte>((void*)WriteAlias(address), n));
            address += (ulong)n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Reads a 64-bit word of a data page (a counter), as the last store to it left it.</summary>
    public long ReadData(ulong address) => Volatile.Read(ref *(long*)address);

    /// <summary>Writes a 64-bit word of a data page (the stop flag, a counter reset).</summary>
    public void WriteData(ulong address, long value) => Volatile.Write(ref *(long*)address, value);

    public void Dispose()
    {
        int error;
        if (_alias != 0)
        {
            if (_system.Unmap(_alias, (nuint)((long)_codePages.Length * PageSize), out error) != 0) throw new InvalidOperationException(Libc.Describe("munmap", error));
            _alias = 0;
        }
        if (_fd >= 0)
        {
            _system.Close(_fd, out _);
            _fd = -1;
        }
        if (_reservation != 0)
        {
            if (_system.Unmap(_reservation, _size, out error) != 0) throw new InvalidOperationException(Libc.Describe("munmap", error));
            _reservation = 0;
        }
    }
}
