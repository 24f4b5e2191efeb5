using Conformance.Patching;

namespace Conformance.Scanning;

/// <summary>Where a scanned site comes from: the code sweep, or one of Linux's patch-site tables.</summary>
public enum ScanKind : byte
{
    /// <summary>An <c>e8 rel32</c> the sweep decoded that no table names.</summary>
    CallRel32,
    /// <summary>An <c>e9 rel32</c> the sweep decoded that no table names.</summary>
    JmpRel32,
    /// <summary>A <c>2e e8 rel32</c> (a call with a CS prefix, 6 bytes).</summary>
    CsCallRel32,
    /// <summary>An <c>e8</c>/<c>e9</c> rel32 with other prefixes (not a site kind the suite models).</summary>
    PrefixedRel32,
    /// <summary>An ftrace site from <c>__mcount_loc</c>: <c>call __fentry__</c> or its 5-byte NOP.</summary>
    Fentry,
    /// <summary>An entry of <c>__patchable_function_entries</c> (NOPs the compiler left before or at a function's entry).</summary>
    PatchableEntry,
    /// <summary>A call to a static call's trampoline from <c>.static_call_sites</c>.</summary>
    StaticCall,
    /// <summary>A tail call (<c>jmp</c>) to a static call's trampoline (<c>STATIC_CALL_SITE_TAIL</c>).</summary>
    StaticCallTail,
    /// <summary>A jump label (static key) from <c>__jump_table</c>: a 5-byte or 2-byte jmp or NOP.</summary>
    JumpLabel,
    /// <summary>A static call trampoline in <c>.static_call.text</c>: <c>jmp rel32</c> or <c>ret</c>, then the <c>ud1</c> signature.</summary>
    StaticCallTrampoline,
}

/// <summary>One patch site a scan found: its source, the suite's site kind for it (null: none models it), where, how long, and its bytes in the file.</summary>
public sealed record ScannedSite(ScanKind Kind, SiteKind? SiteKind, ulong Address, int Length, string Section, ulong SectionOffset, byte[] Bytes)
{
    /// <summary>The site's line offset (address mod 64): with the length, all its alignment class depends on.</summary>
    public int LineOffset => (int)(Address % 64);

    public AlignmentClass Class => AlignmentClass.Of(Address, Length);
}

public static class ScanKinds
{
    /// <summary>Stable kebab-case name, as in the JSON.</summary>
    public static string Name(this ScanKind kind) => kind switch
    {
        ScanKind.CallRel32 => "call-rel32",
        ScanKind.JmpRel32 => "jmp-rel32",
        ScanKind.CsCallRel32 => "cs-call-rel32",
        ScanKind.PrefixedRel32 => "prefixed-rel32",
        ScanKind.Fentry => "fentry",
        ScanKind.PatchableEntry => "patchable-entry",
        ScanKind.StaticCall => "static-call",
        ScanKind.StaticCallTail => "static-call-tail",
        ScanKind.JumpLabel => "jump-label",
        _ => "static-call-trampoline",
    };

    /// <summary>Where the sites of this kind come from, in words.</summary>
    public static string Source(this ScanKind kind) => kind switch
    {
        ScanKind.CallRel32 or ScanKind.JmpRel32 or ScanKind.CsCallRel32 or ScanKind.PrefixedRel32 => "decoded (linear sweep)",
        ScanKind.Fentry => "__mcount_loc",
        ScanKind.PatchableEntry => "__patchable_function_entries",
        ScanKind.StaticCall or ScanKind.StaticCallTail => ".static_call_sites",
        ScanKind.JumpLabel => "__jump_table",
        _ => ".static_call.text",
    };
}
