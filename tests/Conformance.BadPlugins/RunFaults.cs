using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.BadPlugins;

// Patchers that fail while they run: a throw on the machine is a finding of the run (the writer
// stops, the #BP handler declines); a throw in Accepts, a hang, unbounded memory or a crash ends the cell.

public sealed class ThrowingAccepts : Forwarding
{
    public override string Name => "throwing-accepts";
    public override SiteDecision Accepts(PatchSite site) => throw new ArgumentOutOfRangeException(nameof(site), "accepts nothing");
}

public sealed class ThrowingSteps : Forwarding
{
    public override string Name => "throwing-steps";

    public override IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        yield return PatchContext.Store(batch[0].Site.Address, 0xcc);
        // Asked to crash instead (the replay test's way to crash a worker on a case it has a token for).
        if (Environment.GetEnvironmentVariable("CONFORMANCE_BAD_PLUGIN_CRASH") == "1") Environment.FailFast("asked to crash");
        throw new InvalidOperationException("steps boom");
    }
}

public sealed class ThrowingWaitUntil : Forwarding
{
    public override string Name => "throwing-wait-until";

    public override IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        yield return new WriterStep.WaitUntil("the moon", () => throw new InvalidOperationException("condition boom"));
    }
}

public sealed class ThrowingOnBreakpoint : Forwarding
{
    public override string Name => "throwing-on-breakpoint";
    public override BreakpointResult OnBreakpoint(BreakpointContext context) => throw new NullReferenceException("handler boom");
}

public sealed class LoopsInAccepts : Forwarding
{
    public override string Name => "loops-in-accepts";

    public override SiteDecision Accepts(PatchSite site)
    {
        SpinForever();
        return SiteDecision.Accept;
    }
}

public sealed class LoopsInSteps : Forwarding
{
    public override string Name => "loops-in-steps";

    public override IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        SpinForever();
        yield break;
    }
}

public sealed class LoopsInWaitUntil : Forwarding
{
    public override string Name => "loops-in-wait-until";

    public override IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        yield return new WriterStep.WaitUntil("forever", () =>
        {
            SpinForever();
            return true;
        });
    }
}

/// <summary>Correct steps (the int3 goes in first), then a #BP handler that never returns.</summary>
public sealed class LoopsInOnBreakpoint : Forwarding
{
    public override string Name => "loops-in-on-breakpoint";

    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        SpinForever();
        return BreakpointResult.Claimed;
    }
}

public sealed class AllocatesWithoutBound : Forwarding
{
    private static readonly List<byte[]> Kept = [];

    public override string Name => "allocates-without-bound";

    public override IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        while (true)
        {
            var block = new byte[1 << 20];
            for (int i = 0; i < block.Length; i += 4096) block[i] = 1;   // touched: resident, not only reserved
            Kept.Add(block);
        }
#pragma warning disable CS0162 // the loop never ends: that is the point
        yield break;
#pragma warning restore CS0162
    }
}

public sealed class OverflowsTheStack : Forwarding
{
    public override string Name => "overflows-the-stack";

    public override IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
    {
        yield return PatchContext.Store(batch[0].Site.Address, (byte)Deeper(0));
    }

    private static int Deeper(int n) => n == int.MaxValue ? n : Deeper(n + 1) + 1;
}

public sealed class FailsFast : Forwarding
{
    public override string Name => "fails-fast";
    public override BreakpointResult OnBreakpoint(BreakpointContext context)
    {
        Environment.FailFast("the plug-in gave up");
        return BreakpointResult.Claimed;
    }
}
