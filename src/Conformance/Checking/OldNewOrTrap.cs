using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking;

/// <summary>
/// Property P1, "old, new or trap" (spec/properties.md): every instruction decoded at an address
/// inside a patch site is the old or the new instruction decoded from that address (an instruction
/// boundary of either, which covers a prefix a handler skips), an <c>int3</c> the patcher wrote, or
/// a holding instruction it declares. A torn decode is reported with its bytes and the moment each
/// fetch unit was read.
/// </summary>
public static class OldNewOrTrap
{
    public const string Id = "P1-old-new-or-trap";

    /// <summary>The first fetch of the run that violates P1, or null.</summary>
    public static Violation? FirstViolation(IEnumerable<FetchRecord> fetches, IReadOnlyList<PatchRequest> requests, IPatcher patcher)
    {
        foreach (var f in fetches)
            if (Check(f, requests, patcher) is { } v) return v;
        return null;
    }

    /// <summary>The violation in one fetch, or null when it is allowed.</summary>
    public static Violation? Check(FetchRecord fetch, IReadOnlyList<PatchRequest> requests, IPatcher patcher)
    {
        var mine = requests.Where(r => r.Site.Contains(fetch.Rip)).ToArray();
        if (mine.Length == 0) return null;
        var site = mine[0].Site;
        int offset = (int)(fetch.Rip - site.Address);
        var bytes = fetch.Bytes;
        if (offset == 0 && bytes.Length == 1 && bytes[0] == Forms.Int3) return null;
        // Every instruction the site legitimately holds during the run: each request's old and new.
        foreach (var r in mine)
            if (IsBoundary(r.Old, offset, site, bytes) || IsBoundary(r.New, offset, site, bytes)) return null;
        // A holding instruction sits at its offset in the site (a spin over the bytes after a prefix, say).
        foreach (var h in patcher.HoldingAt)
            if (offset >= h.Offset && IsBoundary(h.Bytes, offset - h.Offset, site, bytes, h.Offset)) return null;

        string units = string.Join(", ", fetch.Units.Select(u => $"[0x{u.Start:x}, 0x{u.End:x}) read at t={u.Moment}"));
        string expected = string.Join(" or ", mine.SelectMany(r => new[] { r.Old, r.New }).Distinct(ByteArrays.Comparer).Select(v => Forms.Hex(v[offset..])));
        return new Violation(Id, fetch.Cpu, fetch.Step, fetch.Time,
            $"torn decode at {site.Name}+{offset} (0x{fetch.Rip:x}): fetched {Forms.Hex(bytes)} ({Reporting.Disassembly.Format(fetch.Instruction)}), " +
            $"which is neither the old nor the new instruction ({expected}) nor an int3; fetch units: {units}", fetch) { Site = site };
    }

    /// <summary>Whether <paramref name="bytes"/> is the instruction that <paramref name="version"/> holds at <paramref name="offset"/>.</summary>
    /// <paramref name="at"/> is where the version starts in the site (0 but for a holding instruction placed further in).
    private static bool IsBoundary(byte[] version, int offset, PatchSite site, byte[] bytes, int at = 0)
    {
        if (offset >= version.Length || bytes.Length > version.Length - offset) return false;
        if (!version.AsSpan(offset, bytes.Length).SequenceEqual(bytes)) return false;
        // The bytes match; they must also be a whole instruction there (not a prefix of a longer one).
        return Forms.Decode(site.Address + (ulong)(at + offset), version[offset..(offset + bytes.Length)]) is not null;
    }
}
