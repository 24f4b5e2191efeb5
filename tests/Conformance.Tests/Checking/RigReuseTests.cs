using Conformance.Checking;
using Conformance.Generators;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Tests.Support;

namespace Conformance.Tests.Checking;

/// <summary>
/// A case checked on a pooled rig (<see cref="RigPool"/>: reset, not rebuilt, when its layout ran
/// before) has exactly the outcome it has on a freshly built one, for every catalog patcher, every
/// fetch model and generated scenarios with both schedule searches.
/// </summary>
public class RigReuseTests
{
    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var p in PatcherRegistry.BuiltIn)
            foreach (var s in ScheduleSearch.All) data.Add(p.Name, s.Name);
        return data;
    }

    private static string Outcome(CaseResult r) => $"{r.Steps} steps; {string.Join(" | ", r.Violations)}; schedule {r.Schedule}";

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_case_on_a_reset_rig_has_the_outcome_it_has_on_a_fresh_one(string name, string strategy)
    {
        var info = PatcherRegistry.Get(name);
        var probe = info.Create();
        int n = 0;
        PropertyAssert.Holds($"rig reuse, {name}, {strategy}", PatchCaseGen.Arbitrary(4, ScheduleSearch.Get(strategy), g => g), g =>
        {
            var model = FetchModelRegistry.BuiltIn[n++ % FetchModelRegistry.BuiltIn.Count];
            var c = PatchCaseRealizer.Realize(g, probe);
            // The same layout under another schedule runs first, so the case runs on a rig that ran something else.
            var other = c with { Schedule = c.Schedule with { Runs = c.Schedule.Runs.Reverse().ToArray(), FetchChoices = [] } };
            RigPool.Clear();
            var fresh = PatchCheck.Run(info.Create, model, c);            // a rig built for the case
            RigPool.Clear();
            var freshOther = PatchCheck.Run(info.Create, model, other);   // a rig built for the other schedule, then kept
            var pooled = PatchCheck.Run(info.Create, model, c);           // that rig, reset
            var again = PatchCheck.Run(info.Create, model, other);        // and reset again
            var problems = new List<string>();
            if (Outcome(fresh) != Outcome(pooled)) problems.Add($"under {model.Name}: fresh {Outcome(fresh)}; reset {Outcome(pooled)}");
            if (Outcome(freshOther) != Outcome(again))
                problems.Add($"under {model.Name}, the other schedule: fresh {Outcome(freshOther)}; reset {Outcome(again)}");
            return problems;
        }, maxTest: 8, describe: g => PatchCaseRealizer.Realize(g, probe).ToString());
    }
}
