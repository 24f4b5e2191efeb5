using Conformance.Checking;
using Conformance.Machine;
using Conformance.Reporting;
using Conformance.Tests.Support;
using TimelineModel = Conformance.Reporting.Timeline;

namespace Conformance.Tests.Reporting;

/// <summary>
/// The snapshot helper's conventions (Verify's, re-created in <see cref="Snapshot"/>), each in a
/// temporary directory so no real approval is touched; and the reason it exists: a changed run
/// fails the approved timeline with a diff a person can read.
/// </summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("conformance-snapshot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Snapshot.Files FilesFor(string method = "Method") => Snapshot.Files.For(_dir, "SomeTests", method, [("patcher", "naive-text-poke"), ("nmi", false)]);

    [Fact]
    public void Files_are_named_class_method_and_parameters_beside_the_test()
    {
        var files = FilesFor();
        Assert.Equal(Path.Combine(_dir, "SomeTests.Method_patcher=naive-text-poke_nmi=False.verified.txt"), files.Verified);
        Assert.Equal(Path.Combine(_dir, "SomeTests.Method_patcher=naive-text-poke_nmi=False.received.txt"), files.Received);
    }

    [Fact]
    public void A_matching_text_passes_and_removes_a_stale_received_file()
    {
        var files = FilesFor();
        File.WriteAllText(files.Verified, "line 1\r\nline 2\r\n");   // a CRLF checkout compares equal
        File.WriteAllText(files.Received, "old");
        Assert.Null(Snapshot.Check(files, "line 1\nline 2", onCi: false, accept: false));
        Assert.False(File.Exists(files.Received));
    }

    [Fact]
    public void A_missing_approval_fails_writes_the_received_text_and_says_how_to_accept()
    {
        var files = FilesFor();
        string? failure = Snapshot.Check(files, "new text\n", onCi: false, accept: false);
        Assert.NotNull(failure);
        Assert.Contains("No approved snapshot", failure);
        Assert.Contains($"mv '{files.Received}' '{files.Verified}'", failure);
        Assert.Equal("new text\n", File.ReadAllText(files.Received));
        Assert.False(File.Exists(files.Verified));
    }

    [Fact]
    public void A_mismatch_fails_with_a_line_diff_and_leaves_the_approval_alone()
    {
        var files = FilesFor();
        string approved = string.Join("\n", Enumerable.Range(1, 20).Select(i => $"line {i}")) + "\n";
        File.WriteAllText(files.Verified, approved);
        string failure = Snapshot.Check(files, approved.Replace("line 12\n", "line twelve\n"), onCi: false, accept: false)!;
        Assert.Contains("- line 12\n+ line twelve\n", failure);
        Assert.Contains("@@ line 10 @@", failure);           // where it is, with two lines of context
        Assert.DoesNotContain("line 3\n", failure);          // and not the whole file
        Assert.Equal(approved, File.ReadAllText(files.Verified));
        Assert.True(File.Exists(files.Received));
    }

    [Fact]
    public void Accepting_renames_received_to_verified_locally()
    {
        var files = FilesFor();
        File.WriteAllText(files.Verified, "old\n");
        Assert.Null(Snapshot.Check(files, "new\n", onCi: false, accept: true));
        Assert.Equal("new\n", File.ReadAllText(files.Verified));
        Assert.False(File.Exists(files.Received));
    }

    [Fact]
    public void CI_never_writes_an_approval_even_when_asked_to_accept()
    {
        var files = FilesFor();
        string? failure = Snapshot.Check(files, "new\n", onCi: true, accept: true);
        Assert.NotNull(failure);
        Assert.Contains("refused on CI", failure);
        Assert.False(File.Exists(files.Verified));
    }

    /// <summary>
    /// An emulator whose fetch read the torn unit one tick later (after the patcher's third store)
    /// changes the naive patcher's approved timeline, and the comparison fails with a diff that
    /// shows the changed fetch. The approved file is copied; the real one is never written.
    /// </summary>
    [Fact]
    public void A_changed_run_fails_the_approved_timeline_with_a_readable_diff()
    {
        var c = ApprovedNaive(out string approved);
        var files = Snapshot.Files.For(_dir, nameof(ApprovedTimelineTests), "Timeline", [("patcher", "naive-text-poke")]);
        File.WriteAllText(files.Verified, approved);
        Assert.Null(Snapshot.Check(files, TimelineText.Render(TimelineModel.Build(c)), onCi: true, accept: false));   // unchanged: passes

        var torn = c.Violation.Fetch!;
        var stale = torn with { Units = torn.Units.Select(u => u with { Moment = u.Moment - 2 }).ToArray() };   // `with` keeps the step
        var events = c.Result.Events.Select(e => e is SiteFetched f && ReferenceEquals(f.Fetch, torn) ? f with { Fetch = stale } : e).ToArray();
        var violations = c.Result.Violations.Select((v, i) => i == 0 ? v with { Fetch = stale } : v).ToArray();
        var changed = c with { Result = c.Result with { Events = events, Violations = violations } };

        string failure = Snapshot.Check(files, TimelineText.Render(TimelineModel.Build(changed)), onCi: true, accept: false)!;
        Assert.NotNull(failure);
        Assert.Contains($"- >> {torn.Step,5}", failure);
        Assert.Contains($"+ >> {torn.Step,5}", failure);
        Assert.Contains($"@t={torn.Units[0].Moment - 2} stale", failure);
        Assert.Contains("CI never accepts", failure);
        Assert.Equal(approved, File.ReadAllText(files.Verified));
    }

    /// <summary>The naive patcher's approved counterexample (the test fails if the approval is missing).</summary>
    private static Counterexample ApprovedNaive(out string approved)
    {
        var cell = MatrixCells.Get("naive-text-poke", "atomic", false);
        approved = Snapshot.Approved([("patcher", "naive-text-poke"), ("model", "atomic"), ("nmi", false)], nameof(ApprovedTimelineTests.Timeline),
            Path.Combine(SourceDirectory(), nameof(ApprovedTimelineTests) + ".cs"))
            ?? throw new InvalidOperationException("the naive patcher's timeline is not approved yet");
        return Generators.Campaigns.MatrixCounterexample.Of(cell, Conformance.Patching.PatcherRegistry.Get("naive-text-poke"))!;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
