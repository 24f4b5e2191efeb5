using System.Text.Json;
using System.Text.RegularExpressions;
using Conformance.Checking;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Reporting;
using Conformance.Tests.Support;

namespace Conformance.Tests.Reporting;

/// <summary>
/// One notation for a case (spec/timelines.md, "The case notation"): what the tests' messages,
/// <c>replay</c>, <c>explain</c> and the JSON trace say a case is, the same text everywhere.
/// </summary>
public class CaseNotationTests
{
    private static PatchCase Case() => new(
        [
            new SiteSpec("s0", Workload.SiteArea + 0x0e, SiteKind.Call, 1) { Spinlock = true, InterruptsOff = true },
            new SiteSpec("s1", Workload.SiteArea + 0x50, SiteKind.Jmp, 0) { InterruptsOff = true },
        ],
        [[new PlannedChange(0, 1, -1), new PlannedChange(1, 0, 1)]], 3, Schedule.RoundRobin(3, 4));

    [Fact]
    public void A_site_is_named_with_its_kind_line_offset_context_old_and_new_instruction_and_targets()
    {
        var c = Case();
        string text = CaseNotation.Of(c);
        var workload = WorkloadCache.Build(c.Sites, c.Targets);
        var r0 = workload.Request(0, 1, -1);
        var r1 = workload.Request(1, 0, 1);
        Assert.StartsWith("3 CPUs; sites s0 (call site at 0x40004e, line offset 14, C ABI, under a spinlock with IRQs off), " +
                          "s1 (jmp site at 0x400090, line offset 16, C ABI, with IRQs off); ", text);
        Assert.Contains($"patch s0: {Disassembly.Format(r0.Site.Address, r0.Old)} -> {Disassembly.Format(r0.Site.Address, r0.New)} (target 1 -> NOP form), " +
                        $"s1: {Disassembly.Format(r1.Site.Address, r1.Old)} -> {Disassembly.Format(r1.Site.Address, r1.New)} (target 0 -> target 1); ", text);
        Assert.Contains("call 0x404404 -> nop", text);   // Iced's text, the target's address in it
        Assert.Equal(text, c.ToString());                  // what every message interpolating a case writes
        Assert.DoesNotMatch(@"\bt-?\d", text);             // t=N is the memory clock: a case has no clock figure
    }

    [Fact]
    public void Replay_explain_and_the_json_trace_give_one_token_the_same_case_text()
    {
        var cell = MatrixCells.Get("naive-text-poke", "atomic", false);
        string token = cell.Token!.ToString();
        using var json = new TempFile();
        var replay = CliProcess.Run("replay", token);
        var explain = CliProcess.Run("explain", token, "--json", json);
        Assert.True(explain.Exit == 0, explain.Err);
        string fromReplay = replay.Out.Split('\n').Single(l => l.StartsWith("shrunk case: ", StringComparison.Ordinal))["shrunk case: ".Length..].TrimEnd('\r');
        using var trace = JsonDocument.Parse(File.ReadAllText(json));
        string fromJson = trace.RootElement.GetProperty("case").GetProperty("notation").GetString()!;
        Assert.Equal(fromReplay, fromJson);
        Assert.Equal(cell.ShrunkCase!.ToString(), fromReplay);   // and the tests' messages (VerdictMatrixTests, PatcherAssert)
        Assert.Contains("line offset", fromReplay);
        // explain wraps its header at 160 columns: unwrapped, the case line is the same text.
        Assert.Equal(fromReplay, HeaderValue(explain.Out, "case"));
    }

    /// <summary>A header field of a text timeline, its wrapped continuation lines joined.</summary>
    public static string HeaderValue(string timeline, string label)
    {
        var lines = timeline.Replace("\r\n", "\n").Split('\n');
        int i = Array.FindIndex(lines, l => l.StartsWith($"  {label,-9} ", StringComparison.Ordinal));
        Assert.True(i >= 0, $"no '{label}' in the header");
        var parts = new List<string> { lines[i][12..] };
        for (int k = i + 1; k < lines.Length && lines[k].StartsWith(new string(' ', 12), StringComparison.Ordinal) && lines[k].Trim().Length > 0; k++)
            parts.Add(lines[k].Trim());
        return Regex.Replace(string.Join(" ", parts), " +", " ");
    }
}
