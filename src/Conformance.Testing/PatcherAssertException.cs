namespace Conformance.Testing;

/// <summary>A <see cref="PatcherAssert"/> failure: the message holds the shrunk case, the replay lines and the timeline.</summary>
public sealed class PatcherAssertException(string message) : Exception(message)
{
    /// <summary>Without the stack trace, which only points into the suite: the message is the report.</summary>
    public override string? StackTrace => null;
}
