using System.Text.RegularExpressions;
using Conformance.Patching;

namespace Conformance.Tests.Patching;

/// <summary>The catalog holds every row of the design's table, each described, sourced, with expectations, and documented in spec/catalog.md.</summary>
public class CatalogTests
{
    public static readonly string[] Rows =
    [
        "naive-text-poke", "text-poke-bp", "text-poke-bp-pre2019", "int3-emulate-call-no-gap", "int3-emulate-call-gap",
        "cs-prefix", "r10-r11-divert", "stub-global-slots", "stub-per-call-reused", "stub-per-call-sti", "spin-in-bp",
        "aligned-rel32", "ftrace-skip", "ftrace-regs-caller", "ftrace-batch", "atomic-8byte", "static-call", "jmp-self-spin",
        "jump-label", "kprobe", "kprobe-optimized", "smp-text-poke-batch", "bpf-arch-text-poke", "v8-jump-table",
    ];

    [Fact]
    public void Every_row_exists_as_built_in_patchers()
    {
        var names = PatcherRegistry.BuiltIn.Select(p => p.Name).ToArray();
        Assert.Equal(Rows.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_patcher_is_named_described_sourced_and_declares_expectations()
    {
        foreach (var p in PatcherRegistry.BuiltIn)
        {
            Assert.Matches(new Regex("^[a-z0-9]+(-[a-z0-9]+)*$"), p.Name);
            Assert.False(string.IsNullOrWhiteSpace(p.Description), p.Name);
            Assert.False(string.IsNullOrWhiteSpace(p.Source), p.Name);
            Assert.NotEmpty(p.Expectations);
            Assert.All(p.Expectations, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
            Assert.All(p.Expectations.Where(e => e.Verdict == ExpectedVerdict.Fail), e => Assert.NotNull(e.Failure));
            Assert.All(p.Expectations.Where(e => e.Models is not null).SelectMany(e => e.Models!), m => Assert.Contains(m, Expect.AllModels));
            Assert.False(p.IsPlugin);
            Assert.Equal(p.Name, p.Create().Name);   // a fresh instance per run
        }
    }

    [Fact]
    public void The_expectations_say_what_history_says_for_the_decisive_rows()
    {
        ExpectedVerdict V(string name, string model, Transition? t = null, Abi? abi = null, bool nmi = false) =>
            Expect.For(PatcherRegistry.Get(name).Expectations, model, t, abi, nmi)?.Verdict ?? ExpectedVerdict.Pass;
        var callCall = Expect.T(InstructionClass.Call, InstructionClass.Call);
        var nopCall = Expect.T(InstructionClass.Nop, InstructionClass.Call);
        foreach (var m in Expect.AllModels)
        {
            Assert.Equal(ExpectedVerdict.Fail, V("naive-text-poke", m, callCall));
            Assert.Equal(ExpectedVerdict.Pass, V("text-poke-bp", m, callCall));
            Assert.Equal(ExpectedVerdict.Fail, V("text-poke-bp-pre2019", m, callCall));
            Assert.Equal(ExpectedVerdict.Pass, V("text-poke-bp-pre2019", m, nopCall));
            Assert.Equal(ExpectedVerdict.Fail, V("r10-r11-divert", m, callCall, Abi.CalleeSaved));
            Assert.Equal(ExpectedVerdict.Pass, V("r10-r11-divert", m, callCall, Abi.C));
            Assert.Equal(ExpectedVerdict.Pass, V("stub-per-call-sti", m, callCall, nmi: false));
            Assert.Equal(ExpectedVerdict.Fail, V("stub-per-call-sti", m, callCall, nmi: true));
            Assert.Equal(ExpectedVerdict.Undecided, V("cs-prefix", m, callCall));
        }
        Assert.Equal(ExpectedVerdict.Pass, V("aligned-rel32", "block64", callCall));
        Assert.Equal(ExpectedVerdict.Fail, V("aligned-rel32", "block16", callCall));
        Assert.Equal(ExpectedVerdict.Pass, V("atomic-8byte", "block16", nopCall));
        Assert.Equal(ExpectedVerdict.Fail, V("atomic-8byte", "architectural", nopCall));
        Assert.Equal(ExpectedVerdict.Pass, V("jmp-self-spin", "atomic", callCall));
        Assert.Equal(ExpectedVerdict.Fail, V("jmp-self-spin", "block64", callCall));
    }

    [Fact]
    public void Spec_catalog_has_a_section_for_every_patcher()
    {
        string page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Spec", "catalog.md"));
        foreach (var p in PatcherRegistry.BuiltIn)
            Assert.Contains($"\n## {p.Name}\n", page);
    }
}
