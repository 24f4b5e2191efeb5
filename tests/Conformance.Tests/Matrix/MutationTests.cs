using Conformance.Generators.Campaigns;
using Conformance.Generators;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Matrix;

/// <summary>
/// Mutation check of the suite: text-poke-bp with one sync removed, the tail and head writes
/// swapped, the call emulated with a wrong return address, or text_mutex not taken must each be
/// caught under the fetch models where the mutation can show, and the correct protocol must not be.
/// </summary>
public class MutationTests
{
    /// <summary>The mutants this matrix check covers (all of <see cref="MutantRegistry"/> run in MutantKillTests and <c>check --mutants</c>).</summary>
    private static readonly string[] Covered =
    [
        "mutant-text-poke-bp-no-sync1", "mutant-text-poke-bp-no-sync2", "mutant-text-poke-bp-no-sync3",
        "mutant-text-poke-bp-head-before-tail", "mutant-text-poke-bp-wrong-return", "mutant-text-poke-bp-no-text-mutex",
    ];

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Covered)
            foreach (var m in FetchModelRegistry.BuiltIn)
                data.Add(name, m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void The_mutant_is_caught_where_it_can_show(string mutant, string model)
    {
        var info = MutantRegistry.Get(mutant).Patcher;
        var cell = MatrixCampaign.RunCell(info, FetchModelRegistry.Get(model), false, 120, PropertySettings.DefaultSeed, failRuns: 3000);
        TestContext.Current.TestOutputHelper?.WriteLine($"{info.Name} under {model}: expected {cell.Expected}, found {cell.Verdict}: {cell.Shrunk?.First}");
        Assert.True(cell.Agrees, $"{info.Name} under {model}: expected {cell.Expected}, found {cell.Verdict}{(cell.Shrunk?.First is { } v ? $": {v}" : "")}");
    }
}
