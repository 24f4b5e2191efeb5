using Conformance.Checking;
using Conformance.Generators;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Checking;

/// <summary>
/// The first violation of a run is the earliest (by the step of its offending event, then by
/// property), so the report and the explanation start from the cause, not from a consequence that a
/// lower property number happens to name.
/// </summary>
public class ViolationOrderTests
{
    private static PatcherInfo Info<T>() where T : IPatcher, new()
    {
        var p = new T();
        return new PatcherInfo(p.Name, p.Description, p.Source, p.Expectations, typeof(T), IsPlugin: false);
    }

    [Fact]
    public void A_wrong_return_address_is_reported_before_the_torn_decode_it_causes()
    {
        var cell = MatrixCampaign.RunCell(Info<TextPokeBpReturnInsideSite>(), FetchModelRegistry.Get("atomic"), false, 300, PropertySettings.DefaultSeed);
        Assert.False(cell.Passed);
        var violations = cell.Shrunk!.Violations;
        // The handler's push of site+4 shows when the visit leaves (P2); the callee's ret into the
        // middle of the site is a P1 decode later on.
        Assert.Equal(EquivalentEffect.Id, violations[0].Property);
        Assert.Contains(violations, v => v.Property == OldNewOrTrap.Id);
        Assert.True(violations[0].Step < violations.First(v => v.Property == OldNewOrTrap.Id).Step);
        Assert.Equal(violations.OrderBy(v => v.Step).Select(v => v.Step), violations.Select(v => v.Step));
    }

    [Fact]
    public void Violations_at_one_step_go_by_property_with_the_patchers_error_first()
    {
        var order = PatchCheck.Earliest(
        [
            new Violation(PatchCheck.Completion, 0, 9, 30, "c"),
            new Violation(PatchCheck.Liveness, 0, 9, 30, "d"),
            new Violation(Violation.PatcherError, 0, 9, 30, "e"),
            new Violation(EquivalentEffect.Id, 0, 5, 12, "b"),
            new Violation(OldNewOrTrap.Id, 0, 7, 20, "a"),
        ]);
        Assert.Equal(["b", "a", "e", "c", "d"], order.Select(v => v.Message));
    }

    [Fact]
    public void A_violation_found_when_the_run_ended_goes_after_those_of_the_runs_last_step()
    {
        var order = PatchCheck.Earliest(
        [
            new Violation(Violation.PatcherError, 1, 9, 30, "end") { AtRunEnd = true },
            new Violation(EquivalentEffect.Id, 0, 9, 30, "during"),
        ]);
        Assert.Equal(["during", "end"], order.Select(v => v.Message));
    }
}
