using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Conformance.Tests.Support;

/// <summary>
/// Snapshot approvals in Verify's conventions, written once here (Verify itself is not a
/// dependency; spec/timelines.md describes them):
/// <list type="bullet">
/// <item>the approved text is <c>{Class}.{Method}_{param=value}...verified.txt</c> beside the test's
/// source file (found through <c>[CallerFilePath]</c>; the class is the source file's name);</item>
/// <item>a mismatch, or a missing approved file, writes <c>.received.txt</c> beside it and fails with a
/// diff; accepting is renaming received to verified (or <c>CONFORMANCE_ACCEPT=1</c>, which renames for
/// you and passes, but never on CI);</item>
/// <item>on CI (the <c>CI</c> variable set) nothing ever writes a verified file;</item>
/// <item>UTF-8, LF line ends (a CRLF checkout still compares equal); nothing is scrubbed, because
/// nothing in a timeline varies between runs (seeds, steps and clocks are deterministic, and no
/// path, date or duration is printed). <c>*.received.*</c> is git-ignored.</item>
/// </list>
/// </summary>
public static class Snapshot
{
    public const string AcceptVariable = "CONFORMANCE_ACCEPT";

    /// <summary>The pair of files one snapshot lives in.</summary>
    public sealed record Files(string Verified, string Received)
    {
        /// <summary>The files for <paramref name="method"/> of <paramref name="className"/> with <paramref name="parameters"/>, in <paramref name="directory"/>.</summary>
        public static Files For(string directory, string className, string method, IEnumerable<(string Name, object? Value)>? parameters)
        {
            var name = new StringBuilder($"{className}.{method}");
            foreach (var (p, v) in parameters ?? [])
                name.Append('_').Append(p).Append('=').Append(Clean(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null"));
            string stem = Path.Combine(directory, name.ToString());
            return new Files(stem + ".verified.txt", stem + ".received.txt");
        }

        private static string Clean(string value) =>
            string.Concat(value.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) || ch is ':' or '\\' or '*' or '?' ? '-' : ch));
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> is the approved snapshot of the calling test (with
    /// <paramref name="parameters"/>). <paramref name="method"/> may name another test of the same class,
    /// to compare against that test's approval; pass <paramref name="mayAccept"/> false then, so only
    /// the test that owns an approval can accept it.
    /// </summary>
    public static void Match(string actual, IEnumerable<(string Name, object? Value)>? parameters = null,
        [CallerMemberName] string method = "", bool mayAccept = true, [CallerFilePath] string sourceFile = "")
    {
        var files = FilesOf(sourceFile, method, parameters);
        if (Check(files, actual, OnCi, AcceptRequested && mayAccept) is { } failure) Assert.Fail(failure);
    }

    /// <summary>The approved text of a test's snapshot, or null when there is none yet.</summary>
    public static string? Approved(IEnumerable<(string Name, object? Value)>? parameters, string method, [CallerFilePath] string sourceFile = "")
    {
        var files = FilesOf(sourceFile, method, parameters);
        return File.Exists(files.Verified) ? Normalize(File.ReadAllText(files.Verified)) : null;
    }

    /// <summary>The approved files of one test method of the calling test's class (any parameters).</summary>
    public static IReadOnlyList<string> VerifiedFiles(string method, [CallerFilePath] string sourceFile = "")
    {
        var probe = FilesOf(sourceFile, method, null);
        string directory = Path.GetDirectoryName(probe.Verified)!;
        string stem = Path.GetFileName(probe.Verified)[..^".verified.txt".Length];
        return Directory.GetFiles(directory, stem + "*.verified.txt")
            .Where(f => Path.GetFileName(f) == stem + ".verified.txt" || Path.GetFileName(f).StartsWith(stem + "_", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
    }

    public static bool OnCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
    private static bool AcceptRequested => Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true";

    private static Files FilesOf(string sourceFile, string method, IEnumerable<(string Name, object? Value)>? parameters)
    {
        string? directory = Path.GetDirectoryName(sourceFile);
        if (directory is null || !Directory.Exists(directory))
            throw new InvalidOperationException($"snapshot: the test's source directory '{directory}' does not exist here; was the test built with mapped source paths?");
        return Files.For(directory, Path.GetFileNameWithoutExtension(sourceFile), method, parameters);
    }

    /// <summary>
    /// Compares <paramref name="actual"/> with the approved file: null when it matches (a stale received
    /// file is removed), else the failure message, with the received file written. Accepting (never on
    /// CI) renames received to verified and passes.
    /// </summary>
    public static string? Check(Files files, string actual, bool onCi, bool accept)
    {
        actual = Normalize(actual);
        string? approved = File.Exists(files.Verified) ? Normalize(File.ReadAllText(files.Verified)) : null;
        if (approved == actual)
        {
            if (File.Exists(files.Received)) File.Delete(files.Received);
            return null;
        }
        File.WriteAllText(files.Received, actual, new UTF8Encoding(false));
        if (accept && !onCi)
        {
            File.Move(files.Received, files.Verified, overwrite: true);
            return null;
        }
        string how = onCi
            ? (accept ? $"{AcceptVariable} is refused on CI: approve locally and commit the verified file." : "CI never accepts snapshots: approve locally and commit the verified file.")
            : $"If the new text is right, accept it: mv '{files.Received}' '{files.Verified}' (or run the test again with {AcceptVariable}=1).";
        if (approved is null)
            return $"No approved snapshot: {Path.GetFileName(files.Verified)} does not exist. The text is in {files.Received}.\n{how}\n\n{actual}";
        return $"The text differs from the approved snapshot {Path.GetFileName(files.Verified)} (- approved, + received):\n\n" +
               $"{Diff(approved, actual)}\nThe received text is in {files.Received}.\n{how}";
    }

    /// <summary>LF line ends and one final newline, so a CRLF checkout or a missing last newline compares equal.</summary>
    public static string Normalize(string text) => text.Replace("\r\n", "\n").TrimEnd('\n') + "\n";

    /// <summary>A unified-style line diff (DiffPlex) with <paramref name="context"/> lines around each change and line numbers of the approved text.</summary>
    public static string Diff(string approved, string received, int context = 2, int maxLines = 80)
    {
        var lines = new InlineDiffBuilder(new DiffPlex.Differ()).BuildDiffModel(approved, received, ignoreWhitespace: false).Lines;
        var show = new bool[lines.Count];
        for (int i = 0; i < lines.Count; i++)
            if (lines[i].Type != ChangeType.Unchanged)
                for (int k = Math.Max(0, i - context); k <= Math.Min(lines.Count - 1, i + context); k++) show[k] = true;
        var s = new StringBuilder();
        int written = 0, oldLine = 0;
        bool gap = false;
        for (int i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Type != ChangeType.Inserted) oldLine++;
            if (!show[i]) { gap = true; continue; }
            if (gap || written == 0) s.Append($"@@ line {oldLine} @@\n");
            gap = false;
            if (++written > maxLines) { s.Append("... (more differences)\n"); break; }
            s.Append(line.Type switch { ChangeType.Inserted => "+ ", ChangeType.Deleted => "- ", _ => "  " }).Append(line.Text).Append('\n');
        }
        return s.ToString();
    }
}
