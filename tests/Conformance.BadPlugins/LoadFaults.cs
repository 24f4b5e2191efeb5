using Conformance.Patching;

namespace Conformance.BadPlugins;

// Patchers that fail while the suite reads them (constructor, declared members): each is one line, the others load.

public sealed class ThrowingConstructor : Forwarding
{
    public ThrowingConstructor() => throw new InvalidOperationException("constructor says no");
    public override string Name => "throwing-constructor";
}

/// <summary>
/// Hangs in its constructor when CONFORMANCE_BAD_PLUGIN_HANG=1 (so that only the runs that test it
/// wait for the timeout: reading the assembly makes every type), else a correct patcher.
/// </summary>
public sealed class HangingConstructor : Forwarding
{
    public HangingConstructor()
    {
        if (Environment.GetEnvironmentVariable("CONFORMANCE_BAD_PLUGIN_HANG") == "1") SpinForever();
    }

    public override string Name => "hanging-constructor";
}

public sealed class NullName : Forwarding
{
    public override string Name => null!;
}

public sealed class EmptyName : Forwarding
{
    public override string Name => "";
}

/// <summary>The first of two types with one name (by full name): it loads.</summary>
public sealed class DuplicateNameA : Forwarding
{
    public override string Name => "duplicate-name";
}

/// <summary>The second of two types with one name: refused.</summary>
public sealed class DuplicateNameB : Forwarding
{
    public override string Name => "duplicate-name";
}

/// <summary>A built-in patcher's name: refused.</summary>
public sealed class BuiltInName : Forwarding
{
    public override string Name => "text-poke-bp";
}

public sealed class ThrowingExpectations : Forwarding
{
    public override string Name => "throwing-expectations";
    public override IReadOnlyList<Expectation> Expectations => throw new NotSupportedException("expectations unavailable");
}

public sealed class NullDescription : Forwarding
{
    public override string Name => "null-description";
    public override string Description => null!;
}

public sealed class NullHoldingInstructions : Forwarding
{
    public override string Name => "null-holding-instructions";
    public override IReadOnlyList<byte[]> HoldingInstructions => null!;
}
