using System.Reflection;
using Conformance.BadPlugins;
using Conformance.Cli.Worker;
using Conformance.Machine;
using Conformance.Patching;
using Conformance.Patching.Catalog;

namespace Conformance.Tests.Patching;

/// <summary>The guard every plug-in runs behind, in process: what it forwards, what it refuses, how it names a fault.</summary>
public class GuardedPatcherTests
{
    /// <summary>
    /// A default interface member the guard does not implement would silently replace the plug-in's
    /// own: every member of <see cref="IPatcher"/> (a new one too) must be forwarded explicitly.
    /// </summary>
    [Fact]
    public void The_guard_implements_every_member_of_IPatcher_itself()
    {
        var map = typeof(GuardedPatcher).GetInterfaceMap(typeof(IPatcher));
        for (int i = 0; i < map.InterfaceMethods.Length; i++)
            Assert.True(map.TargetMethods[i].DeclaringType == typeof(GuardedPatcher),
                $"IPatcher.{map.InterfaceMethods[i].Name} is not forwarded by GuardedPatcher (it would run the interface's default instead of the plug-in's)");
    }

    /// <summary>A plug-in that overrides every default: the guarded instance answers as it does.</summary>
    public sealed class AllDefaultsChanged : IPatcher
    {
        public string Name => "all-defaults-changed";
        public string Description => "d";
        public string Source => "s";
        public IReadOnlyList<Expectation> Expectations { get; } = [Expect.Undecided("why not") with { Models = ["block16"] }];
        public int BreakpointStackGap => 0;
        public bool ReusesStubs => true;
        public IReadOnlyList<byte[]> HoldingInstructions => [[0xeb, 0xfe]];
        public IReadOnlyList<HoldingInstruction> HoldingAt => [new([0xeb, 0xfe], 3)];
        public IReadOnlyList<CodeRange> OwnedBytes(PatchRequest request) => [new(request.Site.Next, 3, "the padding after it")];
        public SiteDecision Accepts(PatchSite site) => SiteDecision.Decline("sites: never");
        public SiteDecision Accepts(PatchRequest request) => SiteDecision.Decline("requests: never");
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch) { yield return new WriterStep.Pause(); }
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("mine? no");
    }

    [Fact]
    public void The_guard_forwards_what_the_plugin_declares_and_decides()
    {
        var g = GuardedPatcher.Create(typeof(AllDefaultsChanged), PluginOrigin.Of(typeof(AllDefaultsChanged)));
        IPatcher p = g;
        Assert.Equal(("all-defaults-changed", "d", "s", 0, true), (p.Name, p.Description, p.Source, p.BreakpointStackGap, p.ReusesStubs));
        Assert.Equal([0xeb, 0xfe], Assert.Single(p.HoldingInstructions));
        Assert.Equal(ExpectedVerdict.Undecided, Assert.Single(p.Expectations).Verdict);
        var w = PatchTesting.OneSite(SiteKind.Call, 0);
        Assert.Equal("sites: never", p.Accepts(w.Sites[0]).Fallback);
        Assert.Equal("requests: never", p.Accepts(w.Request(0, 0, 1)).Fallback);
        Assert.Equal(3, Assert.Single(p.HoldingAt).Offset);
        Assert.Equal((w.Sites[0].Next, 3), Assert.Single(p.OwnedBytes(w.Request(0, 0, 1))) is var r ? (r.Address, r.Length) : default);
        Assert.IsType<WriterStep.Pause>(Assert.Single(p.Steps(null!, [])));
    }

    [Theory]
    [InlineData(typeof(ThrowingConstructor), PluginMember.Constructor, "Conformance.BadPlugins.dll: Conformance.BadPlugins.ThrowingConstructor threw InvalidOperationException in the constructor: constructor says no")]
    [InlineData(typeof(NullName), PluginMember.Name, "Conformance.BadPlugins.dll: Conformance.BadPlugins.NullName returned null from Name")]
    [InlineData(typeof(EmptyName), PluginMember.Name, "Conformance.BadPlugins.dll: Conformance.BadPlugins.EmptyName returned an empty name from Name")]
    [InlineData(typeof(ThrowingExpectations), PluginMember.Expectations, "throwing-expectations (Conformance.BadPlugins.dll: Conformance.BadPlugins.ThrowingExpectations) threw NotSupportedException in Expectations: expectations unavailable")]
    [InlineData(typeof(NullDescription), PluginMember.Description, "null-description (Conformance.BadPlugins.dll: Conformance.BadPlugins.NullDescription) returned null from Description")]
    public void A_plugin_that_cannot_be_read_is_a_one_line_fault_naming_it_and_the_member(Type type, PluginMember member, string message)
    {
        var (patcher, fault) = PatcherRegistry.DescribePlugin(type);
        Assert.Null(patcher);
        Assert.Equal(member, fault!.Member);
        Assert.Equal(message, fault.Message);
    }

    [Fact]
    public void A_name_taken_before_is_a_fault_and_the_first_keeps_it()
    {
        var described = new[] { typeof(DuplicateNameA), typeof(DuplicateNameB), typeof(BuiltInName), typeof(Good) }.Select(PatcherRegistry.DescribePlugin).ToArray();
        var load = PatcherRegistry.Resolve(described, PatcherRegistry.BuiltIn);
        Assert.Equal(["bad-plugins-good", "duplicate-name"], load.Patchers.Select(p => p.Name));
        Assert.Equal(typeof(DuplicateNameA), load.Patchers.Single(p => p.Name == "duplicate-name").Type);
        Assert.Equal(["Conformance.BadPlugins.DuplicateNameB", "Conformance.BadPlugins.BuiltInName"], load.Faults.Select(f => f.Origin.TypeName));
        Assert.All(load.Faults, f => Assert.Contains("has that name already", f.Message));
    }

    [Fact]
    public void A_throw_in_accepts_ends_the_cell_naming_the_member()
    {
        var patcher = PatcherRegistry.DescribePlugin(typeof(ThrowingAccepts)).Patcher!.Create();
        var e = Assert.Throws<PluginFaultException>(() => patcher.Accepts(PatchTesting.OneSite(SiteKind.Call, 0).Sites[0]));
        Assert.Equal(PluginMember.AcceptsSite, e.Fault.Member);
        Assert.Contains("threw ArgumentOutOfRangeException in Accepts(site): accepts nothing", e.Message);
    }

    /// <summary>The call in progress is what the worker's watchdog reads: marked on entry, cleared on return.</summary>
    public sealed class ReadsItsOwnCall : IPatcher
    {
        public static PluginCalls.Call? Seen;
        public string Name => "reads-its-own-call";
        public string Description => "d";
        public string Source => "s";
        public IReadOnlyList<Expectation> Expectations => [];
        public IEnumerable<WriterStep> Steps(PatchContext context, IReadOnlyList<PatchRequest> batch)
        {
            yield return new WriterStep.Pause();
            Seen = PluginCalls.Current;
            yield return new WriterStep.Pause();
        }
        public BreakpointResult OnBreakpoint(BreakpointContext context) => BreakpointResult.Declined("no");
    }

    [Fact]
    public void Every_call_is_marked_with_its_member_and_step()
    {
        var p = GuardedPatcher.Create(typeof(ReadsItsOwnCall), PluginOrigin.Of(typeof(ReadsItsOwnCall)));
        Assert.Equal(2, p.Steps(null!, []).Count());
        var seen = ReadsItsOwnCall.Seen!.Value;
        Assert.Equal((PluginMember.Steps, 2, "reads-its-own-call"), (seen.Member, seen.Step, seen.Name));
        Assert.Null(PluginCalls.Current);
    }

    [Fact]
    public void After_running_out_of_memory_the_worker_slot_keeps_naming_the_call_that_ran_out()
    {
        // The CI failure this holds: reporting an OutOfMemoryException threw again, the call's scope
        // unwound, and the supervisor's memory backstop read "the suite's code between its calls".
        var heard = new List<(PluginMember, int)>();
        PluginCalls.Observer = (member, step) => { lock (heard) heard.Add((member, step)); };
        try
        {
            using (PluginCalls.Enter(PluginOrigin.Of(typeof(ReadsItsOwnCall)), "runs-out", PluginMember.Steps, 1))
                PluginCalls.NoteOutOfMemory();
            lock (heard) Assert.Equal((PluginMember.Steps, 1), heard[^1]);
        }
        finally
        {
            PluginCalls.Observer = null;
            PluginCalls.ForgetOutOfMemory();
        }
    }

    [Fact]
    public void A_rig_built_for_a_plugin_guards_it_however_it_is_built()
    {
        var rig = new PatchRig(new TextPokeBp(), PatchTesting.OneSite(SiteKind.Call, 0), new PatchRigOptions(), isPlugin: true);
        Assert.IsType<GuardedPatcher>(rig.Patcher);
        Assert.IsType<GuardedPatcher>(PatcherRegistry.DescribePlugin(typeof(Good)).Patcher!.Create());
    }

    [Theory]
    [InlineData(134, "Stack overflow.\nRepeated 1000 times:\n   at X.F()\n", "stack overflow (exit code 134)")]
    [InlineData(134, "Process terminated.\nthe plug-in gave up\n   at System.Environment.FailFast(System.String)\n", "Environment.FailFast(\"the plug-in gave up\") (exit code 134)")]
    [InlineData(139, "", "signal SIGSEGV (exit code 139)")]
    [InlineData(134, "Unhandled exception. System.InvalidOperationException: off thread\n   at X.G()\n", "an unhandled exception: System.InvalidOperationException: off thread (exit code 134)")]
    public void How_a_worker_died_is_read_from_its_last_words_and_exit_code(int code, string stderr, string said) =>
        Assert.Equal(said, WorkerProcess.HowItDied(code, stderr));
}
