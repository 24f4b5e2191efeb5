using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// The exhaustive scenario's site variants (<c>check --exhaustive --transitions all --abi both</c>,
/// spec/exhaustive.md): every site kind and transition a patcher accepts, each ABI, and the rows
/// history expects to fail only there (r10-r11-divert's callee-saved caller, text-poke-bp-pre2019's
/// and ftrace-skip's call->call against their nop-call toggles).
/// </summary>
public class SiteVariantTests
{
    private static ExhaustiveScenario Scenario(IPatcher patcher, SiteVariant variant, int patches = 1) =>
        ExhaustiveScenario.For(patcher, 2, 1, out string? declined, patches: patches, variant: variant) ?? throw new InvalidOperationException(declined);

    private static SiteVariant V(SiteKind kind, InstructionClass from, InstructionClass to, Abi abi = Abi.C) => new(kind, new Transition(from, to), abi);

    private static readonly InstructionClass Call = InstructionClass.Call, Nop = InstructionClass.Nop;

    [Fact]
    public void The_variants_are_every_kind_and_transition_the_patcher_accepts()
    {
        string Names(IPatcher p) => string.Join(", ", ExhaustiveScenario.Variants(p, 2, 1, [Abi.C]).Select(v => v.Label.Trim()));
        // text-poke-bp takes everything: the call kinds' retarget and NOP toggles, jmp's, the trampoline's ret, the 2-byte site's.
        Assert.Equal("[call call->call], [call call->nop], [call nop->call], [cs-call call->call], [cs-call call->nop], [cs-call nop->call], " +
                     "[jmp jmp->jmp], [jmp jmp->nop], [jmp nop->jmp], [trampoline jmp->jmp], [trampoline jmp->ret], [trampoline ret->jmp], [short nop->jmp], [short jmp->nop]",
            Names(new TextPokeBp()));
        // jump_label only toggles a jmp and its NOP.
        Assert.Equal("[jmp jmp->nop], [jmp nop->jmp], [short nop->jmp], [short jmp->nop]", Names(new JumpLabel()));
        // Both ABIs: each variant twice.
        Assert.Equal(2 * ExhaustiveScenario.Variants(new JumpLabel(), 2, 1, [Abi.C]).Count, ExhaustiveScenario.Variants(new JumpLabel(), 2, 1, [Abi.C, Abi.CalleeSaved]).Count);
    }

    [Fact]
    public void A_chosen_transition_takes_the_pair_whose_bytes_differ_most()
    {
        // nop5 -> call t3 (far): the rel32 shares no byte with the NOP's tail (a near call's high bytes are 00 00, as the NOP's are).
        var s = Scenario(new TextPokeBp(), V(SiteKind.Call, Nop, Call));
        Assert.Equal((-1, 3), (s.Case.Batches[0][0].From, s.Case.Batches[0][0].To));
        var back = Scenario(new TextPokeBp(), V(SiteKind.Call, Call, Nop), patches: 2);
        Assert.Equal((3, -1), (back.Case.Batches[0][0].From, back.Case.Batches[0][0].To));
        Assert.Equal((-1, 3), (back.Case.Batches[1][0].From, back.Case.Batches[1][0].To));
        Assert.Equal("call->nop, nop->call", string.Join(", ", back.Transitions));
        // The default variant is the scenario it always was.
        var plain = ExhaustiveScenario.For(new TextPokeBp(), 2, 1, out _)!;
        var retarget = Scenario(new TextPokeBp(), V(SiteKind.Call, Call, Call));
        Assert.Equal(plain.Case.Batches[0][0], retarget.Case.Batches[0][0]);
        Assert.Equal(plain.Case.Sites[0].Address, retarget.Case.Sites[0].Address);
    }

    [Fact]
    public void R10_r11_divert_clobbers_only_a_callee_saved_caller()
    {
        var bound = new ExhaustiveBound(1, 1);
        var c = Scenario(new R10R11Divert(), V(SiteKind.Call, Call, Call)).Explore(() => new R10R11Divert(), new AtomicFetch(), bound);
        Assert.True(c.Outcome == ExhaustiveOutcome.Verified, c.Summary);
        var scenario = Scenario(new R10R11Divert(), V(SiteKind.Call, Call, Call, Abi.CalleeSaved));
        Assert.Equal((ExpectedVerdict.Fail, FailureKind.ClobberedRegister), scenario.Expectation(new R10R11Divert().Expectations, "atomic"));
        var cs = scenario.Explore(() => new R10R11Divert(), new AtomicFetch(), bound);
        Assert.True(cs.Outcome == ExhaustiveOutcome.Counterexample, cs.Summary);
        Assert.Equal(EquivalentEffect.Id, cs.Counterexample!.Result.First!.Property);
        Assert.Contains("clobbered R1", cs.Counterexample.Result.First.Message);
        // The token carries the variant, and the schedule replays on the scenario it names.
        var token = ExhaustiveToken.Parse(new ExhaustiveToken("r10-r11-divert", "atomic", 2, 1, false, cs.Counterexample.Case.Schedule) { Variant = scenario.Variant }.ToString());
        Assert.Equal(scenario.Variant, token.Variant);
        Assert.Contains(":call.call-call.cs:", new ExhaustiveToken("r10-r11-divert", "atomic", 2, 1, false, cs.Counterexample.Case.Schedule) { Variant = scenario.Variant }.ToString());
    }

    [Theory]
    [InlineData("text-poke-bp-pre2019")]
    [InlineData("ftrace-skip")]
    public void A_nop_semantics_handler_passes_nop_call_and_skips_a_retargeted_call(string name)
    {
        Func<IPatcher> create = name == "ftrace-skip" ? () => new FtraceSkip() : () => new TextPokeBpPre2019();
        var bound = new ExhaustiveBound(2, 1);
        foreach (var (from, to) in new[] { (Nop, Call), (Call, Nop) })
        {
            var r = Scenario(create(), V(SiteKind.Call, from, to)).Explore(create, new AtomicFetch(), bound);
            Assert.True(r.Outcome == ExhaustiveOutcome.Verified, $"{from}->{to}: {r.Summary}");
        }
        var skip = Scenario(create(), V(SiteKind.Call, Call, Call)).Explore(create, new AtomicFetch(), bound);
        Assert.True(skip.Outcome == ExhaustiveOutcome.Counterexample, skip.Summary);
        Assert.Equal(EquivalentEffect.Id, skip.Counterexample!.Result.First!.Property);
    }

    [Theory]
    [InlineData("-")]
    [InlineData("call.nop-call.c")]
    [InlineData("-.-.cs")]
    [InlineData("trampoline.jmp-ret.cs")]
    public void A_variant_reads_back_from_its_token_text(string text) => Assert.Equal(text, SiteVariant.Parse(text).TokenText);

    [Theory]
    [InlineData("call.nop-call", "KIND.FROM-TO.ABI")]
    [InlineData("loop.nop-call.c", "'loop' is not a site kind")]
    [InlineData("call.nop-call.x", "'x' is not an ABI")]
    [InlineData("call.-.c", "a site kind without a transition")]
    public void A_bad_variant_says_what_is_wrong(string text, string says) =>
        Assert.Contains(says, Assert.Throws<ArgumentException>(() => SiteVariant.Parse(text)).Message);
}
