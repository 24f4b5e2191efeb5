using System.Globalization;

namespace Conformance.Checking.Tokens;

/// <summary>
/// The text of a replay token, <c>VERSION:FIELD:...:FIELD:CHECKSUM</c>, written and read by one
/// table of fields. Reading checks, in order: that the text is a token of this kind and of this
/// version (an older one is refused with a message saying so), the checksum
/// (<see cref="TokenChecksum"/>: a token changed by hand or mistyped is "token damaged", never another
/// case), the number of fields, each field against what the format and the machine allow, and
/// finally the fields together (<c>validate</c>). Fields with a <see cref="TokenField{T}.Default"/>
/// come last; a written token leaves out those at the end that have their default, so adding an
/// optional field keeps every other token's text. Adding a field is one row of the table.
/// </summary>
public sealed class TokenFormat<T>
{
    private readonly T _blank;
    private readonly IReadOnlyList<TokenField<T>> _fields;
    private readonly Action<T>? _validate;
    private readonly int _required;

    /// <param name="kind">What the token is called in messages ("replay token").</param>
    /// <param name="version">The format's version, letters then a number ("cf2"); the letters say the kind.</param>
    /// <param name="blank">The value the fields are read into, one after another.</param>
    /// <param name="fields">The fields after the version, in order; those with a default last.</param>
    /// <param name="validate">Checks the fields together; throws a <see cref="TokenFieldException"/> saying what is wrong.</param>
    public TokenFormat(string kind, string version, T blank, IReadOnlyList<TokenField<T>> fields, Action<T>? validate = null)
    {
        Kind = kind;
        Version = version;
        Family = version.TrimEnd("0123456789".ToCharArray());
        _blank = blank;
        _fields = fields;
        _validate = validate;
        _required = fields.TakeWhile(f => f.Default is null).Count();
        if (fields.Skip(_required).Any(f => f.Default is null))
            throw new ArgumentException($"{version}: a field without a default follows one with a default");
    }

    public string Kind { get; }
    public string Version { get; }

    /// <summary>The letters of the version ("cf"): a token of any version of this kind starts with them.</summary>
    public string Family { get; }

    /// <summary>Whether <paramref name="text"/> looks like a token of this kind, of any version.</summary>
    public bool Looks(string text) => text.TrimStart().StartsWith(Family, StringComparison.Ordinal);

    /// <summary>The token's text: the version, every field (trailing defaults left out) and the checksum.</summary>
    public string Write(T value)
    {
        var texts = _fields.Select(f => f.Write(value)).ToList();
        for (int i = texts.Count - 1; i >= _required && texts[i] == _fields[i].Default; i--) texts.RemoveAt(i);
        string body = string.Join(':', [Version, .. texts]);
        return $"{body}:{TokenChecksum.Of(body)}";
    }

    /// <summary>Reads a token; anything wrong throws an <see cref="ArgumentException"/> that says what (a damaged token starts "token damaged:").</summary>
    public T Read(string text)
    {
        string t = text.Trim();
        var parts = t.Split(':');
        string version = parts[0];
        if (!version.StartsWith(Family, StringComparison.Ordinal) || version.Length == Family.Length ||
            !int.TryParse(version.AsSpan(Family.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            throw new ArgumentException($"'{t}' is not a token of this suite ({Kind}s start with '{Version}:')");
        if (version != Version)
        {
            int ours = int.Parse(Version.AsSpan(Family.Length), CultureInfo.InvariantCulture);
            throw new ArgumentException(number < ours
                ? $"{Kind} '{t}' is of format {version}, from an earlier version of the suite; this version reads {Version} " +
                  "(tokens now carry a checksum): run the command that printed it again for a fresh token"
                : $"{Kind} '{t}' is of format {version}, from a later version of the suite; this version reads {Version}");
        }
        if (parts.Length < 2 || !TokenChecksum.IsWellFormed(parts[^1]))
            throw Damaged($"it does not end with a checksum ({TokenChecksum.Length} hex digits after the last ':'): cut short or changed?", t);
        string body = t[..t.LastIndexOf(':')];
        if (TokenChecksum.Of(body) != parts[^1])
            throw Damaged($"its checksum {parts[^1]} does not match its fields (a character changed, lost or mistyped?); copy it again from where it was printed", t);
        int given = parts.Length - 2;
        if (given < _required || given > _fields.Count)
            throw Damaged($"it has {given} field(s) between the version and the checksum; a {Version} token has " +
                          (_required == _fields.Count ? $"{_required}" : $"{_required} to {_fields.Count}"), t);
        T value = _blank;
        for (int i = 0; i < _fields.Count; i++)
        {
            var field = _fields[i];
            string fieldText = i < given ? parts[i + 1] : field.Default!;
            try { value = field.Read(value, fieldText); }
            catch (TokenFieldException e) when (!e.Damaged) { throw new ArgumentException($"{Kind} '{t}' {e.Message}"); }
            catch (TokenFieldException e) { throw Damaged($"the {field.Name} '{fieldText}' {e.Message}", t); }
        }
        try { _validate?.Invoke(value); }
        catch (TokenFieldException e) { throw Damaged(e.Message, t); }
        return value;
    }

    private ArgumentException Damaged(string why, string token) => new($"token damaged: {why} (in {Kind} '{token}')");
}

/// <summary>
/// One field of a token: its name in messages, its text from the value, and the value with the
/// field read from its text (a bad text throws a <see cref="TokenFieldException"/>).
/// </summary>
public sealed record TokenField<T>(string Name, Func<T, string> Write, Func<T, string, T> Read)
{
    /// <summary>When set, the field may be left out at the end of a token, and then reads as this text.</summary>
    public string? Default { get; init; }
}

/// <summary>
/// A field's text that the format does not allow: <see cref="Damaged"/> (the default) when no token
/// the suite writes has it, or not (a name this version of the suite does not know), which is said
/// as it is.
/// </summary>
public sealed class TokenFieldException(string message, bool damaged = true) : Exception(message)
{
    public bool Damaged { get; } = damaged;
}

/// <summary>The kinds of field tokens have, each with its checks.</summary>
public static class TokenFields
{
    /// <summary>Free text (a name, a path), percent-encoded (<see cref="TokenText"/>); never empty.</summary>
    public static TokenField<T> Text<T>(string name, Func<T, string> get, Func<T, string, T> set) =>
        new(name, v => TokenText.Encode(get(v)), (v, text) => set(v, TokenText.Decode(text)));

    /// <summary>Free text or none (<c>-</c>), optional: a token without the field has none.</summary>
    public static TokenField<T> OptionalText<T>(string name, Func<T, string?> get, Func<T, string?, T> set) =>
        new(name, v => get(v) is { } s ? TokenText.Encode(s) : "-", (v, text) => set(v, text == "-" ? null : TokenText.Decode(text))) { Default = "-" };

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static TokenField<T> Int<T>(string name, int min, int max, Func<T, int> get, Func<T, int, T> set) =>
        new(name, v => get(v).ToString(CultureInfo.InvariantCulture), (v, text) => set(v, Number(text, min, max)));

    /// <summary>A 64-bit unsigned number; <paramref name="check"/>, if given, says what is wrong with one the format does not allow.</summary>
    public static TokenField<T> UInt64<T>(string name, Func<T, ulong> get, Func<T, ulong, T> set, Func<ulong, string?>? check = null) =>
        new(name, v => get(v).ToString(CultureInfo.InvariantCulture), (v, text) =>
        {
            if (!IsDigits(text) || !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
                throw new TokenFieldException($"is not a whole number from 0 to {ulong.MaxValue}");
            if (check?.Invoke(n) is { } why) throw new TokenFieldException(why);
            return set(v, n);
        });

    /// <summary>A switch: <paramref name="word"/> when on, <c>-</c> when off.</summary>
    public static TokenField<T> Flag<T>(string name, string word, Func<T, bool> get, Func<T, bool, T> set) =>
        new(name, v => get(v) ? word : "-", (v, text) => text == word ? set(v, true) : text == "-" ? set(v, false)
            : throw new TokenFieldException($"is neither '{word}' nor '-'"));

    /// <summary>
    /// <paramref name="name"/> when it is one of <paramref name="known"/>; else the token names a
    /// <paramref name="what"/> this version of the suite does not have, which is said as it is (not
    /// as damage: the checksum vouches for the text).
    /// </summary>
    public static string Known(string what, string name, IEnumerable<string> known)
    {
        var names = known.ToArray();
        return names.Contains(name, StringComparer.Ordinal) ? name
            : throw new TokenFieldException($"names {what} '{name}', which this suite does not have (known: {string.Join(", ", names)})", damaged: false);
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> (for fields made of several numbers).</summary>
    public static int Number(string text, int min, int max)
    {
        if (!IsDigits(text) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            throw new TokenFieldException($"is not a whole number from {min} to {max}");
        if (n < min || n > max) throw new TokenFieldException($"is outside {min} to {max}");
        return (int)n;
    }

    // Digits only, and not so many that they could not be a number at all (long.TryParse would say so too).
    private static bool IsDigits(string text) => text.Length is > 0 and <= 20 && text.All(char.IsAsciiDigit);
}
