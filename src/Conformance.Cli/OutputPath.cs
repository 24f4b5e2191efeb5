using System.Text;

namespace Conformance.Cli;

/// <summary>
/// Files a command writes (<c>--json</c>, <c>--html</c>, ...): checked before any work starts, so a
/// bad path costs nothing but a one-line error (exit 2), and written atomically (a temporary file
/// in the same directory, then renamed over the path), so a reader never sees half a report and a
/// failed write leaves the old file as it was. <c>-</c> means standard output.
/// </summary>
public static class OutputPath
{
    /// <summary>The path that means standard output.</summary>
    public const string Stdout = "-";

    public static bool IsStdout(string? path) => path == Stdout;

    /// <summary>Checks one output option (null: not given). <paramref name="file"/>'s path is the one the user typed.</summary>
    public static void Check(string option, FileInfo? file) => Check(option, file?.ToString());

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the option, the path and the reason when
    /// <paramref name="path"/> cannot be written: empty, a directory, in a directory that does not
    /// exist (or is a file), or in one where no file can be created.
    /// </summary>
    public static void Check(string option, string? path)
    {
        if (path is null || IsStdout(path)) return;
        if (path.Trim().Length == 0) throw new UsageException($"{option} '{path}': an empty path; give a file name");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{option} {path}: not a usable path ({e.Message})");
        }
        if (Directory.Exists(full) || Path.EndsInDirectorySeparator(path))
            throw new UsageException($"{option} {path}: is a directory; give a file name");
        string directory = Path.GetDirectoryName(full)!;
        if (File.Exists(directory)) throw new UsageException($"{option} {path}: {directory} is a file, not a directory");
        if (!Directory.Exists(directory)) throw new UsageException($"{option} {path}: the directory {directory} does not exist");
        // Whether a file can be made there: the same kind of file the atomic write makes.
        string probe = TempBeside(full);
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} {path}: cannot write in {directory} ({e.Message})");
        }
        finally { TryDelete(probe); }
    }

    /// <summary>Checks several output options, and that no two of them name the same file.</summary>
    public static void CheckAll(params (string Option, FileInfo? File)[] outputs)
    {
        foreach (var (option, file) in outputs) Check(option, file);
        var given = outputs.Where(o => o.File is not null && !IsStdout(o.File.ToString())).ToArray();
        for (int i = 0; i < given.Length; i++)
            for (int j = i + 1; j < given.Length; j++)
                if (given[i].File!.FullName == given[j].File!.FullName)
                    throw new UsageException($"{given[i].Option} and {given[j].Option} name the same file, {given[i].File}; give each its own");
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to the file an output option names, atomically; <c>-</c> writes it to standard output.</summary>
    public static void Write(string option, FileInfo file, string text) => Write(option, file.ToString(), text);

    /// <inheritdoc cref="Write(string, FileInfo, string)"/>
    public static void Write(string option, string path, string text)
    {
        if (IsStdout(path))
        {
            // Standard output itself, even when the human output was moved to standard error for this report (Terminal).
            Terminal.Data.Write(text);
            Terminal.Data.Flush();
            return;
        }
        string full = Path.GetFullPath(path);
        string temp = TempBeside(full);
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new UsageException($"{option} {path}: cannot write it ({e.Message})");
        }
    }

    // A hidden name in the same directory (so the rename cannot cross file systems), unique to this write.
    private static string TempBeside(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Path.GetRandomFileName()}.tmp");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
