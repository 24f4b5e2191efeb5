using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Generators.Campaigns;

/// <summary>What replaying one stored counterexample gave: it still fails (with the replayed cell), or it passes now.</summary>
public sealed record StoredReplay(string Token, MatrixCell? Cell, string? Problem)
{
    public bool StillFails => Cell is { Passed: false };

    public override string ToString() =>
        Problem is not null ? $"stored case {Token}: not replayed ({Problem}); forgotten"
        : StillFails ? $"replayed stored case {Token}: still fails ({Cell!.Shrunk?.First?.Property ?? "?"})"
        : $"replayed stored case {Token}: passes now; forgotten";
}

/// <summary>A cell's result with the stored counterexamples replayed before its campaign.</summary>
public sealed record StoredFirstCell(MatrixCell Cell, IReadOnlyList<StoredReplay> Replays);

/// <summary>
/// The failure database, as Hypothesis keeps one: every shrunk counterexample a campaign finds is
/// stored (its replay token, one file per cell under <see cref="Directory"/>), and the next run
/// of that cell replays the stored ones first, before its random cases. The random campaign itself
/// is unchanged (same seed, same cases, same report); a stored case only adds an earlier replay,
/// and a cell whose campaign passes but whose stored case still fails reports that case. A stored
/// case that passes now, or cannot be replayed (another version's token), is forgotten. The
/// directory is safe to delete, and ignores itself in git.
/// </summary>
public sealed class FailureDatabase(string directory)
{
    /// <summary>Where the database lives unless told otherwise: <c>.conformance</c> in the current directory.</summary>
    public const string DefaultDirectory = ".conformance";

    /// <summary>The environment variable that moves the database (a directory) or turns it off (<c>off</c>).</summary>
    public const string Variable = "CONFORMANCE_FAILURES";

    private static readonly object Gate = new();

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>
    /// The database <paramref name="setting"/> names: a directory, <c>off</c> (none), or null for
    /// <see cref="Variable"/> from the environment, else <paramref name="fallback"/>.
    /// </summary>
    public static FailureDatabase? Open(string? setting, string fallback = DefaultDirectory)
    {
        setting ??= Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(setting)) setting = fallback;
        return setting.Trim().Equals("off", StringComparison.OrdinalIgnoreCase) ? null : new FailureDatabase(setting.Trim());
    }

    /// <summary>The stored tokens of one cell, oldest first.</summary>
    public IReadOnlyList<string> Stored(string patcher, string model, bool nmi)
    {
        var file = FileOf(patcher, model, nmi);
        lock (Gate)
            return File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0 && !l.StartsWith('#')).Distinct().ToArray() : [];
    }

    /// <summary>Stores a counterexample's token (once).</summary>
    public void Save(ReplayToken token)
    {
        lock (Gate)
        {
            var file = FileOf(token.Patcher, token.Model, token.Nmi);
            var lines = File.Exists(file) ? File.ReadAllLines(file).ToList() : [$"# {token.Patcher} under {token.Model}{(token.Nmi ? " (NMI)" : "")}: counterexamples found, replayed first"];
            string text = token.ToString();
            if (lines.Contains(text)) return;
            Prepare();
            lines.Add(text);
            File.WriteAllLines(file, lines);
        }
    }

    /// <summary>Forgets a stored token.</summary>
    public void Forget(string patcher, string model, bool nmi, string token)
    {
        lock (Gate)
        {
            var file = FileOf(patcher, model, nmi);
            if (!File.Exists(file)) return;
            var lines = File.ReadAllLines(file).Where(l => l != token).ToList();
            if (lines.All(l => l.StartsWith('#'))) File.Delete(file);
            else File.WriteAllLines(file, lines);
        }
    }

    /// <summary>
    /// Runs one cell stored-cases-first: every stored counterexample of the cell is replayed, then
    /// <paramref name="campaign"/> runs as it would without the database. The cell's counterexample
    /// is the campaign's if it found one, else the first stored case that still fails; it is stored.
    /// </summary>
    /// <remarks>A stored token of another layout distribution (<c>--layouts-from</c>) is another campaign's: it is left as it is, neither replayed nor forgotten.</remarks>
    public StoredFirstCell Run(PatcherInfo patcher, IFetchModel model, bool nmi, IReadOnlyList<PatcherInfo> catalog, Func<MatrixCell> campaign,
        Scanning.SiteLayouts? layouts = null)
    {
        var replays = new List<StoredReplay>();
        foreach (var text in Stored(patcher.Name, model.Name, nmi))
        {
            StoredReplay replay;
            try
            {
                var token = ReplayToken.Parse(text);
                if (token.Layouts != layouts?.Digest) continue;
                replay = new StoredReplay(text, MatrixCampaign.Replay(token, catalog, layouts), null);
            }
            catch (ArgumentException e)
            {
                replay = new StoredReplay(text, null, e.Message);
            }
            if (!replay.StillFails) Forget(patcher.Name, model.Name, nmi, text);
            replays.Add(replay);
        }
        var cell = campaign();
        if (cell.Passed && replays.FirstOrDefault(r => r.StillFails) is { } stored)
            cell = stored.Cell! with { Runs = cell.Runs + 1, Expected = cell.Expected };
        if (!cell.Passed && cell.Token is { } found) Save(found);
        return new StoredFirstCell(cell, replays);
    }

    private string FileOf(string patcher, string model, bool nmi) =>
        Path.Combine(Directory, "failures", $"{Safe(patcher)}.{Safe(model)}{(nmi ? ".nmi" : "")}.txt");

    private static string Safe(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    /// <summary>The directory, with a .gitignore that ignores it and a note saying what it is.</summary>
    private void Prepare()
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "failures"));
        var ignore = Path.Combine(Directory, ".gitignore");
        if (!File.Exists(ignore)) File.WriteAllText(ignore, "# The conformance suite's failure database: safe to delete, never committed.\n*\n");
        var readme = Path.Combine(Directory, "README.txt");
        if (!File.Exists(readme))
            File.WriteAllText(readme, "Counterexamples the conformance suite found, one replay token per line and one file per cell (failures/).\n" +
                                      "check and PatcherAssert replay them first, before new random cases. Safe to delete.\n");
    }
}
