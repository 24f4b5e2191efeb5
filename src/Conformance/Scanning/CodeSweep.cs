using Conformance.Patching;
using Iced.Intel;

namespace Conformance.Scanning;

/// <summary>What the sweep of one file decoded, found and refused.</summary>
public sealed record SweepStats(long Bytes, long Instructions, long InvalidBytes, long Rel32Found, long Rel32Rejected, IReadOnlyList<string> Skipped);

/// <summary>
/// A linear sweep with Iced over every executable section: decode from the section's start, one
/// instruction after the other; an invalid byte is skipped and decoding resumes at the next byte.
/// Every <c>call rel32</c> / <c>jmp rel32</c> (<c>e8</c>/<c>e9</c>, with any prefixes) is a site
/// if its target lies in an executable section or, in a relocatable file, a relocation covers its
/// rel32 (the assembler emitted one there, so it is code). The rest are counted as rejected: bytes
/// of data inside code that happen to decode as a call or jmp land almost anywhere in the 4 GiB the
/// rel32 reaches, rarely in the file's code.
/// </summary>
/// <remarks>
/// What a linear sweep gets wrong (spec/scan.md): data inside code (jump tables, literal pools,
/// alignment filler that is not a NOP) decodes as instructions, and after it the sweep may stay out
/// of step with the real instruction boundaries for a few instructions (x86 decoding resynchronizes
/// quickly, typically within 2-4 instructions), which can hide a real site or invent one; the
/// target check rejects most invented ones. Code that is never reached is counted like any other.
/// </remarks>
public static class CodeSweep
{
    /// <summary>Sections whose code is copied elsewhere before it runs, so its sites are not sites where they lie.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotRunInPlace = new Dictionary<string, string>
    {
        [".altinstr_replacement"] = "alternatives' replacement code, copied over other code at boot",
    };

    public static (IReadOnlyList<ScannedSite> Sites, SweepStats Stats) Run(ElfImage image)
    {
        var sites = new List<ScannedSite>();
        long bytes = 0, instructions = 0, invalid = 0, found = 0, rejected = 0;
        var skipped = new List<string>();
        foreach (var section in image.CodeSections)
        {
            if (NotRunInPlace.TryGetValue(section.Name, out string? why)) { skipped.Add($"{section.Name}: {why}"); continue; }
            bytes += section.Bytes.Length;
            var reader = new ByteArrayCodeReader(section.Bytes);
            var decoder = Decoder.Create(64, reader, section.Address);
            while (reader.CanReadByte)
            {
                int at = reader.Position;
                decoder.IP = section.Address + (ulong)at;
                decoder.Decode(out var i);
                if (i.IsInvalid)
                {
                    invalid++;
                    reader.Position = at + 1;   // resynchronize one byte further on
                    continue;
                }
                instructions++;
                if (i.Code is not (Code.Call_rel32_64 or Code.Jmp_rel32_64)) continue;
                found++;
                ulong offsetOfRel32 = (ulong)(at + i.Length - 4);
                bool reached = image.CodeAt(i.NearBranch64) is not null || (image.Relocatable && image.RelocationAt(section, offsetOfRel32) is not null);
                if (!reached) { rejected++; continue; }
                var (kind, siteKind) = Shape(i, section.Bytes[at]);
                sites.Add(new ScannedSite(kind, siteKind, i.IP, i.Length, section.Name, (ulong)at, section.Bytes[at..(at + i.Length)]));
            }
        }
        return (sites, new SweepStats(bytes, instructions, invalid, found, rejected, skipped));
    }

    /// <summary>The kind of a decoded rel32 branch: plain (5 bytes), cs-prefixed call (6 bytes, first byte 2e), or other prefixed.</summary>
    private static (ScanKind, SiteKind?) Shape(in Instruction i, byte first)
    {
        bool call = i.Code == Code.Call_rel32_64;
        if (i.Length == 5) return call ? (ScanKind.CallRel32, SiteKind.Call) : (ScanKind.JmpRel32, SiteKind.Jmp);
        if (call && i.Length == 6 && first == Forms.CsPrefix) return (ScanKind.CsCallRel32, SiteKind.CsCall);
        return (ScanKind.PrefixedRel32, null);
    }
}
