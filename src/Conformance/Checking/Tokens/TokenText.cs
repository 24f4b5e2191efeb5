using System.Text;

namespace Conformance.Checking.Tokens;

/// <summary>
/// Free text inside a token (a patcher's name, a plug-in's path): every byte of its UTF-8 outside
/// letters, digits and <c>. _ ~ / + , = @ -</c> is written <c>%XX</c>, so a field never holds the
/// <c>:</c> that separates fields, and a token is one word a shell passes as it is, unquoted.
/// </summary>
public static class TokenText
{
    public static string Encode(string text)
    {
        var s = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            if (IsPlain(b)) s.Append((char)b);
            else s.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        return s.ToString();
    }

    /// <summary>The text a field holds; a field that no <see cref="Encode"/> could give throws a <see cref="TokenFieldException"/>.</summary>
    public static string Decode(string field)
    {
        if (field.Length == 0) throw new TokenFieldException("is empty");
        var bytes = new List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            char c = field[i];
            if (c == '%')
            {
                if (i + 2 >= field.Length || !byte.TryParse(field.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b))
                    throw new TokenFieldException("has a '%' not followed by two hex digits");
                bytes.Add(b);
                i += 2;
            }
            else if (c < 128 && IsPlain((byte)c)) bytes.Add((byte)c);
            else throw new TokenFieldException($"holds '{c}', which a token writes as %XX");
        }
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray()); }
        catch (DecoderFallbackException) { throw new TokenFieldException("is not UTF-8 text"); }
    }

    private static bool IsPlain(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        or (byte)'.' or (byte)'_' or (byte)'~' or (byte)'/' or (byte)'+' or (byte)',' or (byte)'=' or (byte)'@' or (byte)'-';
}
