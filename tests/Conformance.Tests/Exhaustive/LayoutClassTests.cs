using System.Diagnostics;
using Conformance.Checking;
using Conformance.Checking.Exhaustive;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;
using Conformance.Patching.Mutants;

namespace Conformance.Tests.Exhaustive;

/// <summary>
/// Layout classes (spec/exhaustive.md): the classes a fetch model makes of a site's 64 line
/// offsets, and the claim behind them: at every offset the exhaustive exploration has the outcome
/// set of its class's representative, for a correct patcher and for rows that fail at some offsets only.
/// </summary>
public class LayoutClassTests(ITestOutputHelper output)
{
    private static IFetchModel Model(string name) => FetchModelRegistry.Get(name);

    // A 5-byte call whose rel32 bytes 0 and 1 change (as the exhaustive scenario's do), at every offset.
    private static IEnumerable<LayoutCandidate> EveryOffset(int length = 5) =>
        Enumerable.Range(0, 64).Select(o => new LayoutCandidate(o, new byte[length], Enumerable.Range(0, length).Select(i => (byte)(i is 1 or 2 ? 1 : 0)).ToArray()));

    [Fact]
    public void A_5_byte_site_has_a_class_per_split_of_its_fetch_units_and_of_its_64_byte_line()
    {
        // atomic: one fetch unit; the line a store may straddle (one event inside a line, bytes across one) splits it.
        Assert.Equal(["one-unit+line@2", "one-unit", "one-unit+line@4", "one-unit+line@3", "one-unit+line@1"],
            LayoutClasses.Of(Model("atomic"), 0x40_0040, EveryOffset(), 62).Select(c => c.Name));
        Assert.Equal(["split@1,2,3,4+line@2", "split@1,2,3,4", "split@1,2,3,4+line@4", "split@1,2,3,4+line@3", "split@1,2,3,4+line@1"],
            LayoutClasses.Of(Model("architectural"), 0x40_0040, EveryOffset(), 62).Select(c => c.Name));
        // block64: its units are the lines.
        Assert.Equal(["split@2+line@2", "one-unit", "split@4+line@4", "split@3+line@3", "split@1+line@1"],
            LayoutClasses.Of(Model("block64"), 0x40_0040, EveryOffset(), 62).Select(c => c.Name));
        foreach (var (model, unit) in new[] { ("block32", 32), ("block16", 16) })
        {
            var classes = LayoutClasses.Of(Model(model), 0x40_0040, EveryOffset(), 62);
            Assert.Equal(9, classes.Count);   // one unit; split after byte 1..4 inside a line or across one
            Assert.Equal("split@2+line@2", classes[0].Name);
            Assert.Equal(62, classes[0].Representative);   // the preferred offset represents its class
            // Split after byte k inside a line: the offsets k bytes before a unit boundary that is not a line's.
            foreach (int k in new[] { 1, 2, 3, 4 })
            {
                Assert.Equal(Enumerable.Range(0, 64).Where(o => (o + k) % unit == 0 && o + k != 64), classes.Single(c => c.Name == $"split@{k}").Offsets);
                Assert.Equal([64 - k], classes.Single(c => c.Name == $"split@{k}+line@{k}").Offsets);
            }
            Assert.Equal(64, classes.Sum(c => c.Offsets.Count));
            Assert.All(classes, c => Assert.Contains(c.Representative, c.Offsets));
        }
    }

    [Fact]
    public void Which_bytes_old_and_new_differ_in_splits_a_class_and_is_named_when_it_varies()
    {
        // At offsets 0..31 the change rewrites byte 1, at 32..63 byte 4: under atomic two classes.
        var candidates = Enumerable.Range(0, 64).Select(o => new LayoutCandidate(o, new byte[5], o < 32 ? [0, 9, 0, 0, 0] : [0, 0, 0, 0, 9]));
        var classes = LayoutClasses.Of(Model("atomic"), 0x40_0040, candidates, 62);
        Assert.Equal(["one-unit+line@2+d4", "one-unit+d1", "one-unit+d4", "one-unit+line@4+d4", "one-unit+line@3+d4", "one-unit+line@1+d4"], classes.Select(c => c.Name));
        Assert.Equal([62, 0, 32, 60, 61, 63], classes.Select(c => c.Representative));
    }

    [Fact]
    public void Padding_the_patch_writes_before_the_site_is_cut_by_the_units_too()
    {
        // A 2-byte entry with a 5-byte hot-patch jmp before it: under block16 a boundary inside the
        // padding makes a class of its own, which the site's 2 bytes alone would not show.
        var candidates = Enumerable.Range(0, 64).Select(o => new LayoutCandidate(o, [0x66, 0x90], [0xeb, 0xf9])).Where(o => o.Offset >= 5);
        var withPadding = LayoutClasses.Of(Model("block16"), 0x40_0040, candidates, 21, padding: [-5, -4, -3, -2, -1]);
        var siteOnly = LayoutClasses.Of(Model("block16"), 0x40_0040, candidates, 21);
        Assert.Equal(["one-unit", "split@1", "split@1+line@1"], siteOnly.Select(c => c.Name));   // in one block, split inside a line, split across one (offset 63)
        Assert.Equal(["one-unit", "split@1", "split@0", "split@-1", "split@-2", "split@-3", "split@-4", "split@1+line@1"], withPadding.Select(c => c.Name));
    }

    [Fact]
    public void A_token_carries_the_line_offsets_of_a_layout_other_than_the_preferred()
    {
        var token = new ExhaustiveToken("naive-text-poke", "block16", 2, 1, false, Schedule.Empty) { Offsets = [13] };
        Assert.Equal([13], ExhaustiveToken.Parse(token.ToString()).Offsets);
        Assert.Contains(":-:13:", token.ToString());
        // The preferred layout's token is as before (no offsets field).
        Assert.Null(ExhaustiveToken.Parse((token with { Offsets = null }).ToString()).Offsets);
        Assert.Equal(9, (token with { Offsets = null }).ToString().Split(':').Length);   // version, 7 fields, checksum
        Assert.Equal(11, token.ToString().Split(':').Length);                          // and the plug-in (none) and the offsets
        var e = Assert.Throws<ArgumentException>(() => ExhaustiveToken.Parse((token with { Offsets = [13, 30] }).ToString()));
        Assert.Contains("2 line offset(s) for 1 site(s)", e.Message);
    }

    /// <summary>What the exploration of one layout found, made independent of where the site lies: per execution, each fetch of a site byte (which bytes were old, new, common to both, or something else) and the properties violated.</summary>
    private static SortedSet<string> Outcomes(Func<IPatcher> create, IFetchModel model, ExhaustiveScenario scenario, ExhaustiveBound bound, out ExhaustiveResult result)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var workload = Workload.Build(scenario.Case.Sites, scenario.Case.Targets);
        var requests = scenario.Case.Batches[0].Select(ch => workload.Request(ch.Site, ch.From, ch.To)).ToArray();
        string Fetch(FetchRecord f)
        {
            int site = Array.FindIndex(requests, r => r.Site.Contains(f.Rip));
            if (site < 0) return $"cpu{f.Cpu} other({f.Bytes.Length})";
            var r = requests[site];
            int start = (int)(f.Rip - r.Site.Address);
            var pattern = f.Bytes.Select((b, i) => start + i is var p && p >= r.Old.Length ? "t"
                : r.Old[p] == r.New[p] ? (b == r.Old[p] ? "=" : $"{b:x2}")
                : b == r.Old[p] ? "o" : b == r.New[p] ? "n" : $"{b:x2}");
            return $"cpu{f.Cpu} s{site}+{start} {string.Concat(pattern)}";
        }
        result = ExhaustiveExplorer.Explore(create, model, scenario.Case, bound, stopAtFirst: false, observe: (d, r) =>
            seen.Add(string.Join(" | ", d.SiteFetches.Select(Fetch)) + " => " + string.Join(",", r.Violations.Select(v => v.Property).Distinct())));
        return seen;
    }

    public static TheoryData<string, string, int, bool> Rows => new()
    {
        { "text-poke-bp", "block16", 1, false },                  // correct: verified at every offset
        { "aligned-rel32", "block16", 1, false },                 // torn where a 16-byte block cuts the rel32 between its changed bytes
        { "mutant-text-poke-bp-no-sync2", "block32", 2, false },  // Rostedt's split: fails only where a unit boundary falls after byte 2 of the call
        // V8's slots go jmp -> jmp; the scenario's t0 -> t1 rewrites only rel32 byte 0 (jmp targets
        // lie 0x20 apart), which nothing can tear. To a far target every rel32 byte changes, and the
        // one 4-byte store tears wherever a 32-byte window cuts the rel32 (only at offset 30 among its slots).
        { "v8-jump-table", "block32", 1, false },
        { "v8-jump-table", "block32", 1, true },
    };

    private static Func<IPatcher> Create(string name) => name switch
    {
        "text-poke-bp" => () => new TextPokeBp(),
        "aligned-rel32" => () => new AlignedRel32(),
        "naive-text-poke" => () => new NaiveTextPoke(),
        "v8-jump-table" => () => new V8JumpTable(),
        _ => () => new TextPokeBpWithoutSync2(),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Every_line_offset_has_the_outcome_set_of_its_class_representative(string patcher, string modelName, int preemptions, bool farTarget)
    {
        var create = Create(patcher);
        var model = Model(modelName);
        var bound = new ExhaustiveBound(preemptions, Iterations: 1);
        var basis = ExhaustiveScenario.For(create(), 2, 1, out string? declined) ?? throw new InvalidOperationException(declined);
        if (farTarget)
            basis = basis with { Case = basis.Case with { Batches = [[new PlannedChange(0, 0, Workload.FirstFarTarget)]] } };
        var classes = ExhaustiveLayouts.SiteClasses(create(), basis, model)[0];
        var clock = Stopwatch.StartNew();
        var verdicts = new List<ExhaustiveOutcome>();
        foreach (var c in classes)
        {
            var rep = basis.Moved(create(), [c.Representative], out declined) ?? throw new InvalidOperationException(declined);
            var outcomes = Outcomes(create, model, rep, bound, out var result);
            verdicts.Add(result.Outcome);
            output.WriteLine($"{patcher} / {modelName}: {c} ({c.Offsets.Count} offsets): {result.Summary}, {outcomes.Count} outcome(s)");
            foreach (int offset in c.Offsets.Where(o => o != c.Representative))
            {
                var at = basis.Moved(create(), [offset], out declined) ?? throw new InvalidOperationException(declined);
                var got = Outcomes(create, model, at, bound, out var r);
                Assert.True(outcomes.SetEquals(got),
                    $"offset {offset} ({c.Name}): {r.Summary}; differs from representative {c.Representative}: only at the offset [{string.Join("; ", got.Except(outcomes))}], only at the representative [{string.Join("; ", outcomes.Except(got))}]");
                Assert.Equal(result.Outcome, r.Outcome);
            }
        }
        output.WriteLine($"{classes.Sum(c => c.Offsets.Count)} offsets in {classes.Count} classes, {clock.Elapsed.TotalSeconds:F1} s");
        // Not vacuous: the rows that fail at some offsets only have a verified class and a refuted one.
        if (patcher is "aligned-rel32" or "mutant-text-poke-bp-no-sync2" || farTarget)
        {
            Assert.Contains(ExhaustiveOutcome.Verified, verdicts);
            Assert.Contains(ExhaustiveOutcome.Counterexample, verdicts);
        }
    }
}
