namespace Conformance.Tests.Probe;

/// <summary>
/// The tests that map the probe's memory and start its threads run one at a time: each checks that
/// nothing of its own is left mapped or running, which another's run at the same moment would blur.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProbeHardware
{
    public const string Name = "probe hardware";
}
