namespace Conformance.Tests.Support;

/// <summary>
/// A temporary file for one test (made empty, as <see cref="Path.GetTempFileName"/> makes it),
/// deleted when disposed: <c>using var json = new TempFile();</c> instead of a try/finally.
/// </summary>
public sealed class TempFile : IDisposable
{
    public string Path { get; } = System.IO.Path.GetTempFileName();

    public static implicit operator string(TempFile file) => file.Path;

    public override string ToString() => Path;

    public void Dispose() => File.Delete(Path);
}

/// <summary>A temporary directory for one test, deleted with everything in it when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "conformance-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> in the directory (the file is not made).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public static implicit operator string(TempDirectory directory) => directory.Path;

    public override string ToString() => Path;

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
