using Conformance.Generators;
using FsCheck;

namespace Conformance.Tests.Support;

/// <summary>
/// The xunit side of <see cref="PropertyRunner"/> (FsCheck.Xunit is not available here): runs a
/// property with settings from the environment, writes the report to the test output, and fails
/// the test with the shrunk case and the replay command.
/// </summary>
public static class PropertyAssert
{
    public static PropertyOutcome Holds<T>(string name, Arbitrary<T> arbitrary, Func<T, IReadOnlyList<string>> problems, int maxTest,
        Func<T, string>? describe = null)
        where T : notnull
    {
        var outcome = PropertyRunner.Run(name, arbitrary, problems, PropertySettings.FromEnvironment(maxTest), describe);
        TestContext.Current.TestOutputHelper?.WriteLine(outcome.Report);
        if (!outcome.Passed) Assert.Fail(outcome.Report);
        return outcome;
    }
}
