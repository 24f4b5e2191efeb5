using Conformance.Patching;

namespace Conformance.Checking.Tokens;

/// <summary>
/// The patcher a token names, found in the catalog of the replaying run. A token made with a
/// plug-in patcher names the plug-in (its path as given to <c>--plugin</c>); a replay without it, or
/// with another assembly, says exactly which <c>--plugin</c> to add. Assemblies are never loaded
/// because a token names them: a token is data, and loading code is the user's choice.
/// </summary>
public static class TokenPatcher
{
    /// <summary>The patcher called <paramref name="name"/>, from <paramref name="plugin"/> if the token names one; else an <see cref="ArgumentException"/> saying what to do.</summary>
    public static PatcherInfo Find(string name, string? plugin, IReadOnlyList<PatcherInfo> catalog)
    {
        var found = catalog.FirstOrDefault(p => p.Name == name);
        if (plugin is null)
            return found ?? throw new ArgumentException(
                $"the token names patcher '{name}', which is not in the catalog (known: {string.Join(", ", catalog.Select(p => p.Name))}); " +
                "a plug-in's token made by an older suite does not name its assembly: add the --plugin it was made with");
        if (found is { IsPlugin: true }) return found;
        string add = TokenCommand.PluginArgument(plugin);
        if (found is not null)
            throw new ArgumentException($"the token names patcher '{name}' of the plug-in {TokenCommand.Quote(plugin)}, but '{name}' here is built in: a plug-in's patcher cannot replay as a built-in one");
        var loaded = catalog.Where(p => p.IsPlugin && p.Plugin is not null).GroupBy(p => p.Plugin!).ToArray();
        if (loaded.Length == 0)
            throw new ArgumentException($"the token's patcher '{name}' comes from a plug-in: add {add}");
        var same = loaded.FirstOrDefault(g => SameAssembly(g.Key, plugin));
        if (same is not null)
            throw new ArgumentException($"the plug-in {TokenCommand.Quote(same.Key)} holds no patcher '{name}' (it holds {string.Join(", ", same.Select(p => p.Name))}); " +
                                        $"the token was made with {add}: a different build of it?");
        throw new ArgumentException($"the token's patcher '{name}' comes from the plug-in {TokenCommand.Quote(plugin)}, which is not loaded " +
                                    $"(loaded: {string.Join(", ", loaded.Select(g => TokenCommand.Quote(g.Key)))}): add {add}");
    }

    /// <summary>The same assembly: the same full path, or the same file name (a plug-in given by another relative path, or copied).</summary>
    private static bool SameAssembly(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal) ||
        string.Equals(Path.GetFileName(a), Path.GetFileName(b), StringComparison.OrdinalIgnoreCase);
}
