using System.CommandLine;
using Conformance.Generators.Campaigns;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Cli;

/// <summary>
/// <c>check</c>'s side of the failure database (<see cref="FailureDatabase"/>): <c>--failure-db DIR</c>
/// (default <c>.conformance</c>, or <c>CONFORMANCE_FAILURES</c>; <c>off</c> for none); each cell
/// replays its stored counterexamples before its random cases, and the run says what it replayed.
/// </summary>
public sealed class StoredCases(string? setting, IReadOnlyList<PatcherInfo> catalog)
{
    private readonly FailureDatabase? _db = FailureDatabase.Open(setting);
    private readonly List<Replayed> _replays = [];

    /// <summary>One stored case replayed, as its line says it (a plug-in's cell replays its own in its worker and passes these back).</summary>
    public sealed record Replayed(string Token, string Line);

    /// <summary>Whether there is a database (the setting is not <c>off</c>).</summary>
    public bool On => _db is not null;

    public static Option<string?> Option() => new("--failure-db")
    {
        Description = $"Where counterexamples are stored and replayed first next time (default {FailureDatabase.DefaultDirectory}, or ${FailureDatabase.Variable}); 'off' for none. Safe to delete.",
    };

    /// <summary>One cell, its stored cases first (thread-safe: cells run in parallel).</summary>
    public MatrixCell Run(PatcherInfo patcher, IFetchModel model, bool nmi, Func<MatrixCell> campaign, Conformance.Scanning.SiteLayouts? layouts = null)
    {
        if (_db is null) return campaign();
        var result = _db.Run(patcher, model, nmi, catalog, campaign, layouts);
        lock (_replays) _replays.AddRange(result.Replays.Select(r => new Replayed(r.Token, r.ToString())));
        return result.Cell;
    }

    /// <summary>The replays so far.</summary>
    public IReadOnlyList<Replayed> Replays
    {
        get { lock (_replays) return _replays.ToArray(); }
    }

    /// <summary>Replays done elsewhere (a plug-in cell's, in its worker), to print with these.</summary>
    public void Add(IEnumerable<Replayed> replays)
    {
        lock (_replays) _replays.AddRange(replays);
    }

    /// <summary>The replays, in the order of the cells (the lines say which stored case was replayed and what it gave).</summary>
    public void Print()
    {
        if (_db is null || _replays.Count == 0) return;
        Console.WriteLine($"Failure database {_db.Directory}: {_replays.Count} stored case(s) replayed before the random cases.");
        foreach (var r in _replays.OrderBy(r => r.Token, StringComparer.Ordinal)) Console.WriteLine($"  {r.Line}");
    }
}
