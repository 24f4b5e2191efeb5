using System.IO.MemoryMappedFiles;
using Conformance.Patching;

namespace Conformance.Cli.Worker;

/// <summary>
/// A few bytes of a file shared by a worker and its supervisor: the worker writes the plug-in
/// member it is in (and the step) at every call, through a shared mapping, so when the worker
/// dies with no word (a stack overflow, <c>Environment.FailFast</c>, a signal) the supervisor
/// still reads where it died; and its watchdog counts a heartbeat there, which no full pipe can
/// hold up (a worker whose output waits for a slow reader is not a silent one). A mapping write
/// costs what a field write does; a line on a pipe per call would not.
/// </summary>
public sealed class CallSlot : IDisposable
{
    private const int Size = 16;   // member (4), step (4), heartbeats (8)
    private long _beats;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private CallSlot(string path)
    {
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, Size, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, Size);
    }

    /// <summary>A fresh slot file for a worker about to start (the supervisor's side); delete it when the worker is done.</summary>
    public static string CreateFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"conformance-worker-{Guid.NewGuid():N}.slot");
        File.WriteAllBytes(path, new byte[Size]);
        return path;
    }

    /// <summary>The worker's side: opens the slot and marks every plug-in call in it.</summary>
    public static CallSlot Open(string path)
    {
        var slot = new CallSlot(path);
        PluginCalls.Observer = slot.Mark;
        return slot;
    }

    private void Mark(PluginMember member, int step)
    {
        _view.Write(4, step);
        _view.Write(0, (int)member);
    }

    /// <summary>One heartbeat of the worker's watchdog.</summary>
    public void Beat() => _view.Write(8, ++_beats);

    /// <summary>The supervisor's side: the heartbeats counted so far (0 before the first, or when the file cannot be read).</summary>
    public static long Beats(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> b = stackalloc byte[8];
            file.Position = 8;
            return file.Read(b) == 8 ? BitConverter.ToInt64(b) : 0;
        }
        catch (IOException) { return 0; }
    }

    /// <summary>The supervisor's side: the member and step the worker was in when it stopped.</summary>
    public static (PluginMember Member, int Step) Read(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < Size) return (PluginMember.None, 0);
            var member = (PluginMember)BitConverter.ToInt32(bytes, 0);
            return (Enum.IsDefined(member) ? member : PluginMember.None, BitConverter.ToInt32(bytes, 4));
        }
        catch (IOException) { return (PluginMember.None, 0); }
    }

    public void Dispose()
    {
        PluginCalls.Observer = null;
        _view.Dispose();
        _file.Dispose();
    }
}
