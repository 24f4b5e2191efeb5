using Conformance.Checking.Tokens;

namespace Conformance.Tests.Support;

/// <summary>Tokens written by hand in tests: the text with the checksum it must end with.</summary>
public static class SealedToken
{
    /// <summary><paramref name="body"/> (a token without its checksum) followed by its checksum.</summary>
    public static string Of(string body) => $"{body}:{TokenChecksum.Of(body)}";
}
