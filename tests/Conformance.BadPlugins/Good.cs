using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.BadPlugins;

/// <summary>A well-behaved plug-in in the same assembly as the bad ones: it loads and passes.</summary>
public sealed class Good : Forwarding
{
    public override string Name => "bad-plugins-good";
    public override string Description => "a correct plug-in beside the broken ones (text_poke_bp)";
}

/// <summary>A well-behaved plug-in whose scheme is wrong (plain byte stores): its cells fail, as it declares.</summary>
public sealed class GoodButTorn : Forwarding
{
    public GoodButTorn() : base(new NaiveTextPoke()) { }

    public override string Name => "bad-plugins-torn";
    public override string Description => "a well-behaved plug-in of a wrong scheme (plain byte stores): a finding, not a fault";
    public override IReadOnlyList<Expectation> Expectations { get; } = [Expect.Fail(FailureKind.TornDecode, "plain byte stores tear")];
}
