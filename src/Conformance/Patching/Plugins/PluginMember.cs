namespace Conformance.Patching;

/// <summary>
/// The entry points through which the suite calls a plug-in's code: its constructor and every
/// member of <see cref="IPatcher"/>, plus the <c>WaitUntil</c> conditions its steps hand the
/// machine. A fault is reported with the member it happened in.
/// </summary>
public enum PluginMember
{
    /// <summary>No plug-in code is running.</summary>
    None,
    Constructor,
    Name,
    Description,
    Source,
    Expectations,
    BreakpointStackGap,
    ReusesStubs,
    HoldingInstructions,
    HoldingAt,
    /// <summary><c>Accepts(PatchSite)</c>.</summary>
    AcceptsSite,
    /// <summary><c>Accepts(PatchRequest)</c>.</summary>
    AcceptsRequest,
    /// <summary><c>OwnedBytes(PatchRequest)</c>.</summary>
    OwnedBytes,
    /// <summary><c>Steps(context, batch)</c> and drawing each step from what it returned.</summary>
    Steps,
    /// <summary>The condition of a <c>WaitUntil</c> step, which the machine evaluates while the writer waits.</summary>
    WaitUntil,
    OnBreakpoint,
}

public static class PluginMembers
{
    /// <summary>The member as a message names it: <c>the constructor</c>, <c>Accepts(site)</c>, <c>Steps (producing step 3)</c>.</summary>
    public static string Describe(PluginMember member, int step = 0) => member switch
    {
        PluginMember.None => "the suite's code between its calls",
        PluginMember.Constructor => "the constructor",
        PluginMember.AcceptsSite => "Accepts(site)",
        PluginMember.AcceptsRequest => "Accepts(request)",
        PluginMember.OwnedBytes => "OwnedBytes(request)",
        PluginMember.Steps => step > 0 ? $"Steps (producing step {step})" : "Steps",
        PluginMember.WaitUntil => step > 0 ? $"a WaitUntil condition (step {step})" : "a WaitUntil condition",
        _ => member.ToString(),
    };
}
