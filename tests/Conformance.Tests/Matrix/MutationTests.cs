using Conformance.Generators.Campaigns;
using Conformance.Generators;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Patching.Mutants;

namespace Conformance.Tests.Matrix;

/// <summary>
/// Mutation check of the suite: text-poke-bp with one sync removed, the tail and head writes
/// swapped, the call emulated with a wrong return address, or text_mutex not taken must each be
/// caught under the fetch models where the mutation can show, and the correct protocol must not be.
/// </summary>
public class MutationTests
{
    private static PatcherInfo Info(Type t)
    {
        var p = (IPatcher)Activator.CreateInstance(t)!;
        return new PatcherInfo(p.Name, p.Description, p.Source, p.Expectations, t, IsPlugin: false);
    }

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var t in new[] { typeof(TextPokeBpWithoutSync1), typeof(TextPokeBpWithoutSync2), typeof(TextPokeBpWithoutSync3),
                     typeof(TextPokeBpHeadBeforeTail), typeof(TextPokeBpWrongReturnAddress), typeof(TextPokeBpWithoutTextMutex) })
            foreach (var m in FetchModelRegistry.BuiltIn)
                data.Add(t.Name, m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void The_mutant_is_caught_where_it_can_show(string mutant, string model)
    {
        var type = typeof(TextPokeBpWithoutSync1).Assembly.GetTypes().Single(t => t.Name == mutant);
        var info = Info(type);
        var cell = MatrixCampaign.RunCell(info, FetchModelRegistry.Get(model), false, 120, PropertySettings.DefaultSeed, failRuns: 3000);
        TestContext.Current.TestOutputHelper?.WriteLine($"{info.Name} under {model}: expected {cell.Expected}, found {cell.Verdict}: {cell.Shrunk?.First}");
        Assert.True(cell.Agrees, $"{info.Name} under {model}: expected {cell.Expected}, found {cell.Verdict}{(cell.Shrunk?.First is { } v ? $": {v}" : "")}");
    }
}
