namespace Conformance.Patching;

/// <summary>The shape of a patch site (design brief, section 6).</summary>
public enum SiteKind : byte
{
    /// <summary><c>e8 rel32</c>, or its NOP5 / jmp forms when patched.</summary>
    Call,
    /// <summary><c>e9 rel32</c>.</summary>
    Jmp,
    /// <summary>The 5-byte NOP <c>0f 1f 44 00 00</c> (an ftrace or static-key site at rest).</summary>
    Nop5,
    /// <summary><c>2e e8 rel32</c>: a call with a CS prefix (Linus's cs-prefix scheme), 6 bytes.</summary>
    CsCall,
    /// <summary>A 2-byte site: <c>eb rel8</c> or the 2-byte NOP <c>66 90</c>.</summary>
    Short,
    /// <summary>An out-of-line trampoline <c>e9 rel32</c> that call sites call (static calls).</summary>
    Trampoline,
}

/// <summary>Which registers a site's caller expects to survive (the clobber set of a visit).</summary>
public enum Abi : byte
{
    /// <summary>SysV C calling convention: a call may clobber the scratch registers; a patch visit may clobber R10 and R11.</summary>
    C,
    /// <summary>Paravirt callee-saved convention: only RAX may change.</summary>
    CalleeSaved,
}

/// <summary>One instruction a patcher rewrites: where, what shape, how long, and its callers' ABI.</summary>
public sealed record PatchSite(string Name, ulong Address, SiteKind Kind, int Length, Abi Abi = Abi.C)
{
    /// <summary>The address right after the site: a call's return address, a NOP's fall-through.</summary>
    public ulong Next => Address + (ulong)Length;

    public bool Contains(ulong address) => address >= Address && address < Next;

    public override string ToString() => $"{Name} ({Kind}, {Length} bytes at 0x{Address:x}, {Abi} ABI)";
}

/// <summary>Rewrite <see cref="Site"/> from <see cref="Old"/> to <see cref="New"/> (whole instructions, same length).</summary>
public sealed record PatchRequest(PatchSite Site, byte[] Old, byte[] New)
{
    /// <summary>
    /// Bytes outside the site that the change also writes, with their new values (a hot-patch's
    /// <c>jmp</c> in the 5 padding bytes before a 2-byte entry): the patch owns them, fetches of them
    /// are checked as the site's are (P1), and they must hold these values once it returns (P3).
    /// </summary>
    public IReadOnlyList<CodeBytes> Padding { get; init; } = [];

    public override string ToString() =>
        $"{Site.Name}: {Convert.ToHexString(Old).ToLowerInvariant()} -> {Convert.ToHexString(New).ToLowerInvariant()}";
}
