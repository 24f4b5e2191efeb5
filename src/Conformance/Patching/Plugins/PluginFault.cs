namespace Conformance.Patching;

/// <summary>Where a plug-in patcher comes from: the assembly file it was loaded from and its type.</summary>
public sealed record PluginOrigin(string AssemblyPath, string TypeName)
{
    /// <summary>The assembly's file name, as messages name it.</summary>
    public string File => Path.GetFileName(AssemblyPath);

    public static PluginOrigin Of(Type type) => new(type.Assembly.Location, type.FullName ?? type.Name);

    public override string ToString() => $"{File}: {TypeName}";
}

/// <summary>
/// Something a plug-in did that stops the suite from running it: a throw, a value it may not
/// return (a null or empty name, a null list, a name another patcher has), a call that did not
/// finish, memory it would not stop taking, or the worker process dying under it. One line names
/// the plug-in (its name when it has a usable one, its assembly and type), the member and the cause.
/// </summary>
/// <param name="Origin">The plug-in's assembly and type.</param>
/// <param name="Name">Its name, when it gave a usable one.</param>
/// <param name="Member">The member the fault happened in.</param>
/// <param name="Step">The step of <see cref="PluginMember.Steps"/> or <see cref="PluginMember.WaitUntil"/> (0: none).</param>
/// <param name="Cause">What happened, as a phrase that reads after the plug-in, with <c>{member}</c> where the member goes.</param>
public sealed record PluginFault(PluginOrigin Origin, string? Name, PluginMember Member, int Step, string Cause)
{
    /// <summary>The plug-in as a message names it: <c>my-x (My.dll: My.Patcher)</c>, or <c>My.dll: My.Patcher</c> without a usable name.</summary>
    public string Plugin => Name is null ? Origin.ToString() : $"{Name} ({Origin})";

    /// <summary>What its row of a table is called: the patcher's name, or its type when it has none to use.</summary>
    public string Row => Name ?? Origin.TypeName;

    /// <summary>The one-line error: the plug-in, the member and the cause.</summary>
    public string Message => $"{Plugin} {Cause.Replace("{member}", PluginMembers.Describe(Member, Step))}";

    public override string ToString() => Message;

    /// <summary>A throw: <c>threw InvalidOperationException in the constructor: boom</c>.</summary>
    public static PluginFault Threw(PluginOrigin origin, string? name, PluginMember member, int step, Exception e) =>
        new(origin, name, member, step, $"threw {e.GetType().Name} in {{member}}: {OneLine(e.Message)}");

    /// <summary>A value it may not return: <c>returned null from Name</c>, <c>returned 'a b' from Name: a name may hold no space</c>.</summary>
    public static PluginFault Returned(PluginOrigin origin, string? name, PluginMember member, string what, string? why = null) =>
        new(origin, name, member, 0, $"returned {what} from {{member}}{(why is null ? "" : $": {why}")}");

    /// <summary>A message made one line (an exception's message may hold newlines).</summary>
    public static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>
/// A plug-in fault the suite cannot go on from (its constructor, a declared member or
/// <c>Accepts</c> threw or returned what it may not): the cell it happened in is reported as an error.
/// </summary>
public sealed class PluginFaultException(PluginFault fault) : Exception(fault.Message)
{
    public PluginFault Fault { get; } = fault;
}
