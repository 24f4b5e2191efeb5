using Conformance.Machine;

namespace Conformance.Patching;

/// <summary>A patcher's answer for one site: it patches it, or declines and says what it falls back to.</summary>
public sealed record SiteDecision(bool Accepted, string? Fallback = null)
{
    public static SiteDecision Accept { get; } = new(true);
    public static SiteDecision Decline(string fallback) => new(false, fallback);
}

/// <summary>
/// A live code-patching scheme: the one interface a user implements, in their own project, to
/// have the suite check their scheme. A new instance is created for every machine run, so a
/// patcher may keep its state (its active batch, its stubs) in fields.
/// </summary>
/// <remarks>
/// <para><see cref="Steps"/> runs on the patching CPU: every <see cref="WriterStep"/> it yields is
/// one scheduling point (a store with its width, <c>sync_core</c> to all CPUs with wait, a lock,
/// a wait on a condition). Stubs are allocated through the context and written with stores.</para>
/// <para><see cref="OnBreakpoint"/> runs on any CPU that executes an <c>int3</c>, with interrupts
/// off (an interrupt gate, as Linux's #BP), and sees the trap frame in memory like <c>pt_regs</c>.</para>
/// </remarks>
public interface IPatcher
{
    /// <summary>Stable kebab-case name, e.g. <c>text-poke-bp</c>.</summary>
    string Name { get; }

    /// <summary>One line: what the scheme does.</summary>
    string Description { get; }

    /// <summary>The thread, commit or mail the protocol comes from.</summary>
    string Source { get; }

    /// <summary>The verdicts history expects, first match wins (see <see cref="Expect.For"/>). Empty: expected to pass.</summary>
    IReadOnlyList<Expectation> Expectations { get; }

    /// <summary>Words of stack the #BP entry leaves between the interrupted stack and the frame (Linux: 6; 0 before 2019).</summary>
    int BreakpointStackGap => 6;

    /// <summary>Whether the next patch may rewrite the stubs this one used (the completion property then forbids a task left inside one).</summary>
    bool ReusesStubs => false;

    /// <summary>Instructions besides <c>int3</c> a CPU may observe at a site while it is being patched (a spin, say), as bytes.</summary>
    IReadOnlyList<byte[]> HoldingInstructions => Array.Empty<byte[]>();

    /// <summary>Holding instructions with the offset in the site where each sits; by default <see cref="HoldingInstructions"/>, each at offset 0.</summary>
    IReadOnlyList<HoldingInstruction> HoldingAt => HoldingInstructions.Select(h => new HoldingInstruction(h)).ToArray();

    /// <summary>
    /// Code outside the site that this patcher stores into for <paramref name="request"/>, besides the
    /// request's <see cref="PatchRequest.Padding"/> (which it owns anyway): an 8-byte store that writes
    /// back the 3 bytes after a 5-byte site, say. A store into text outside the sites, the stubs and
    /// these is a violation (<c>patcher-wrote-outside</c>).
    /// </summary>
    IReadOnlyList<CodeRange> OwnedBytes(PatchRequest request) => Array.Empty<CodeRange>();

    /// <summary>Whether the patcher can patch this site safely; if not, what it does instead.</summary>
    SiteDecision Accepts(PatchSite site) => SiteDecision.Accept;

    /// <summary>Whether the patcher can make this change (some schemes only retarget a call); by default, whether it accepts the site.</summary>
    SiteDecision Accepts(PatchRequest request) => Accepts(request.Site);

    /// <summary>The steps that patch <paramref name="batch"/> (one request or several).</summary>
    IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch);

    /// <summary>The #BP handler: claim the trap and edit the frame, or decline it.</summary>
    BreakpointResult OnBreakpoint(BreakpointContext context);
}
