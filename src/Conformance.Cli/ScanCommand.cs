using System.CommandLine;
using System.Globalization;
using Conformance.Patching;
using Conformance.Scanning;

namespace Conformance.Cli;

/// <summary>
/// <c>scan FILE...</c>: the call sites of x86-64 ELF files (executables, shared objects, kernel
/// modules, vmlinux), decoded with Iced and read from Linux's patch-site tables, counted by kind and
/// alignment class, and put to every patcher's <c>Accepts</c> (spec/scan.md). A file that cannot be
/// scanned gets one line on stderr naming it and the reason; the others are still reported. Exit 0
/// when every file was scanned, 2 when any was not (after the others' report and JSON).
/// </summary>
public static class ScanCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "ELF files: executables, shared objects, kernel modules (.ko), vmlinux.", Arity = ArgumentArity.OneOrMore };
        var plugin = new Worker.PluginOptions();
        var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON to this file (check --layouts-from reads it)." };
        var command = new Command("scan", "Count the call sites of ELF files by kind and alignment class, and which patchers accept or fall back on them.") { files, json };
        plugin.AddTo(command);
        command.SetAction(parse =>
        {
            OutputPath.Check("--json", parse.GetValue(json));   // before the scan: a bad path must not cost it
            var plugins = plugin.Read(parse);
            if (Worker.CommandRelay.Needed(plugins)) return Worker.CommandRelay.Run(plugins);   // plug-ins' Accepts run in a worker process
            return Execute(parse.GetValue(files)!, Plugins.Catalog(plugins), parse.GetValue(json));
        });
        return command;
    }

    private static int Execute(string[] paths, IReadOnlyList<PatcherInfo> catalog, FileInfo? json)
    {
        var reports = new List<ScanFileReport>();
        var errors = new List<ScanError>();
        foreach (var path in paths)
        {
            BinaryScan scan;
            try
            {
                if (!File.Exists(path)) throw new ScanException("no such file");
                scan = BinaryScan.Of(path);
            }
            catch (ScanException e)
            {
                Console.Error.WriteLine($"conformance: scan {path}: {e.Message}");
                errors.Add(new ScanError(path, e.Message));
                continue;
            }
            var fits = catalog.Select(p => PatcherFit.Of(p.Name, p.Create(), scan.Sites)).ToArray();
            var report = ScanFileReport.Of(scan, fits);
            reports.Add(report);
            Print(report);
        }
        if (json is not null) OutputPath.Write("--json", json, new ScanReport(ScanReport.CurrentFormat, reports, errors).ToJson());
        if (errors.Count > 0)
            Console.Error.WriteLine($"conformance: scan: {errors.Count} of {paths.Length} file(s) could not be scanned{(reports.Count > 0 ? "; the others are reported above" : "")}.");
        return errors.Count == 0 ? Cli.Ok : Cli.Usage;
    }

    public static void Print(ScanFileReport r)
    {
        var s = r.Sweep;
        Console.WriteLine($"{r.Path}: x86-64 {r.FileType}, {r.CodeSections.Count} code section(s), {N(s.Bytes)} bytes decoded as {N(s.Instructions)} instructions ({N(s.InvalidBytes)} invalid byte(s) skipped).");
        Console.WriteLine($"  rel32 calls and jmps decoded: {N(s.Rel32Found)}, of which {N(s.Rel32Rejected)} rejected (target outside every code section: data decoded as code).");
        foreach (var skipped in s.Skipped) Console.WriteLine($"  not swept: {skipped}.");
        if (r.Relocatable)
            Console.WriteLine("  relocatable: addresses are offsets into their section, as if each section were loaded at a page boundary (a module loader aligns it only to its sh_addralign).");
        if (r.Tables.Count == 0) Console.WriteLine("  Linux tables: none (__mcount_loc, __patchable_function_entries, .static_call_sites, __jump_table, .static_call.text).");
        foreach (var t in r.Tables)
            Console.WriteLine($"  {t.Table} ({t.Where}): {Count(t.Entries, "entry", "entries")}, {Count(t.Sites, "site", "sites")}{(t.Unresolved.Count > 0 ? "; not sites: " + string.Join("; ", t.Unresolved) : "")}.");
        Console.WriteLine();

        var kinds = new TextTable("kind", "source", "site kind", "bytes", "sites", "straddle 8", "16", "32", "64");
        foreach (var k in r.Kinds)
            kinds.Add(k.Kind, k.Source, k.SiteKind ?? "(not modeled)", N(k.Length), N(k.Sites), Share(k.Straddles.Word8, k.Sites), Share(k.Straddles.Block16, k.Sites),
                Share(k.Straddles.Block32, k.Sites), Share(k.Straddles.Line64, k.Sites));
        int all = r.Kinds.Sum(k => k.Sites);
        kinds.Add("all", "", "", "", N(all), Share(r.Kinds.Sum(k => k.Straddles.Word8), all), Share(r.Kinds.Sum(k => k.Straddles.Block16), all),
            Share(r.Kinds.Sum(k => k.Straddles.Block32), all), Share(r.Kinds.Sum(k => k.Straddles.Line64), all));
        Console.WriteLine($"Sites by kind ({N(all)}; straddle B: the share whose bytes cross a B-byte boundary):");
        Console.Write(kinds);
        Console.WriteLine();

        var lengths = r.Classes.Select(c => c.SiteKind).Distinct().ToArray();
        var classes = new TextTable(["class", .. lengths, "all", "share"]);
        int modeled = r.ModeledSites;
        foreach (var g in r.Classes.GroupBy(c => c.Class).OrderBy(g => AlignmentClass.Parse(g.Key)))
        {
            int sum = g.Sum(c => c.Sites);
            classes.Add([$"{g.Key} ({AlignmentClass.Parse(g.Key).Describe()})", .. lengths.Select(k => g.FirstOrDefault(c => c.SiteKind == k) is { } c ? N(c.Sites) : ""), N(sum), Share(sum, modeled)]);
        }
        Console.WriteLine($"Alignment classes of the {N(modeled)} sites the suite models (sB@K: straddles a B-byte boundary, K bytes before it):");
        Console.Write(classes);
        Console.WriteLine();

        // Accept shares per site kind, then the fallbacks as footnotes (the patchers' own words are long).
        var reasons = r.Patchers.SelectMany(p => p.Fallbacks.Select(f => f.Reason)).Distinct().ToList();
        var patchers = new TextTable(["patcher", "accepts", .. lengths.Select(k => $"of {k}"), "declines", "falls back (notes below)"]);
        foreach (var p in r.Patchers)
        {
            string fallback = string.Join(", ", p.Fallbacks.Select(f => $"{Share(f.Sites, p.Sites)} [{Note(reasons.IndexOf(f.Reason))}]"));
            patchers.Add([p.Patcher, Share(p.Accepted, p.Sites),
                .. lengths.Select(k => Share(p.ByClass.Where(c => c.SiteKind == k).Sum(c => c.Accepted), p.ByClass.Where(c => c.SiteKind == k).Sum(c => c.Sites))),
                Share(p.Declined, p.Sites), fallback]);
        }
        Console.WriteLine($"Patchers: each one's Accepts on every modeled site and its natural change ({N(modeled)} sites; 'of Call': the share of Call sites it accepts):");
        Console.Write(patchers);
        for (int i = 0; i < reasons.Count; i++) Console.WriteLine($"  [{Note(i)}] {reasons[i]}");
        Console.WriteLine();
    }

    /// <summary>Footnote names: a, b, ..., z, then a1, b1, ...</summary>
    private static string Note(int i) => i < 26 ? ((char)('a' + i)).ToString() : $"{(char)('a' + i % 26)}{i / 26}";

    private static string Count(long n, string one, string many) => $"{N(n)} {(n == 1 ? one : many)}";

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Share(long part, long whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
