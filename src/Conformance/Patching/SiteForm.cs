namespace Conformance.Patching;

/// <summary>
/// One instruction a site can hold, when a test chooses the site's instructions itself
/// (<see cref="SiteSpec.Forms"/>) instead of the kind's fixed set: any bytes, a call or a jmp to a
/// workload target (so a call site can become a jmp), or a short jmp into the padding before the
/// site that holds a long jmp (a hot-patch). <see cref="Workload"/> turns a form into bytes at the site.
/// </summary>
public abstract record SiteForm
{
    private SiteForm() { }

    /// <summary>These bytes exactly (one instruction of the site's length, e.g. <c>8b ff</c>).</summary>
    public sealed record Raw(byte[] Bytes) : SiteForm
    {
        public override string ToString() => Forms.Hex(Bytes);
    }

    /// <summary><c>call</c> to call target <paramref name="Target"/> (which counts its visits and returns).</summary>
    public sealed record CallTo(int Target) : SiteForm
    {
        public override string ToString() => $"call t{Target}";
    }

    /// <summary><c>jmp</c> to the site's jmp target <paramref name="Target"/> (which counts, then goes on after the site).</summary>
    public sealed record JmpTo(int Target) : SiteForm
    {
        public override string ToString() => $"jmp t{Target}";
    }

    /// <summary>
    /// A hot-patch (Windows' <c>mov edi, edi</c> entries): the 2-byte site holds <c>jmp $-5</c>
    /// (<c>eb f9</c>) and the 5 padding bytes before it hold <c>jmp</c> to the site's jmp target
    /// <paramref name="Target"/>. The padding belongs to the change (<see cref="PatchRequest.Padding"/>).
    /// </summary>
    public sealed record JmpViaPadding(int Target) : SiteForm
    {
        public override string ToString() => $"jmp $-5, padding jmp t{Target}";
    }

    public static SiteForm Of(params byte[] bytes) => new Raw(bytes);
    public static SiteForm Call(int target) => new CallTo(target);
    public static SiteForm Jmp(int target) => new JmpTo(target);
    public static SiteForm HotPatch(int target) => new JmpViaPadding(target);
}
