using System.CommandLine;
using Conformance.Scanning;

namespace Conformance.Cli;

/// <summary>
/// <c>--layouts-from FILE</c>: site layouts measured in real binaries (spec/scan.md). FILE is a
/// <c>scan --json</c> report or an ELF file, scanned on the spot; the generated sites take their kind
/// and line offset from its distribution.
/// </summary>
public static class LayoutsFrom
{
    public const string Name = "--layouts-from";

    public static Option<string?> Option() => new(Name)
    {
        Description = "Draw site kinds and line offsets from the sites of a scan (a scan --json report, or an ELF file scanned on the spot).",
    };

    /// <summary>The distribution in <paramref name="path"/>, or null when no path is given; an unreadable file is a usage error naming it.</summary>
    public static SiteLayouts? Load(string? path)
    {
        if (path is null) return null;
        if (!File.Exists(path)) throw new UsageException($"{Name} {path}: no such file");
        try
        {
            using (var stream = File.OpenRead(path))
            {
                int first;
                do first = stream.ReadByte(); while (first is ' ' or '\t' or '\r' or '\n');
                if (first == '{')
                {
                    stream.Position = 0;
                    return ScanReport.Parse(new StreamReader(stream).ReadToEnd(), path).Layouts(path);
                }
            }
            return SiteLayouts.FromSites(BinaryScan.Of(path).Sites);
        }
        catch (ScanException e) { throw new UsageException($"{Name} {path}: {e.Message}"); }
        catch (ArgumentException e) { throw new UsageException(e.Message.StartsWith(path, StringComparison.Ordinal) ? $"{Name} {e.Message}" : $"{Name} {path}: {e.Message}"); }
        catch (IOException e) { throw new UsageException($"{Name} {path}: cannot be read ({e.Message})"); }
    }

    /// <summary>What a printed replay or explain command needs besides the token, to draw the same sites.</summary>
    public static string Suffix(string? path) => path is null ? "" : $" {Name} {Checking.Tokens.TokenCommand.Quote(path)}";
}
