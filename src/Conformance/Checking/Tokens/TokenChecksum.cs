using System.Text;

namespace Conformance.Checking.Tokens;

/// <summary>
/// The checksum every replay token ends with: CRC-32 (IEEE 802.3, the polynomial of zip and
/// Ethernet) of the token's text before its last <c>:</c>, as 8 lowercase hex digits. CRC-32 finds
/// every change of one character and every swap of two neighbouring ones (bursts of up to 32 bits),
/// and any other change with probability 1 - 2^-32, so a mistyped or edited token is refused
/// instead of replaying another case. The one place the checksum is computed.
/// </summary>
public static class TokenChecksum
{
    /// <summary>Digits of the checksum field.</summary>
    public const int Length = 8;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The checksum field of a token whose other fields are <paramref name="body"/>.</summary>
    public static string Of(string body) => Crc32(Encoding.UTF8.GetBytes(body)).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="field"/> has the shape of a checksum (8 lowercase hex digits).</summary>
    public static bool IsWellFormed(string field) => field.Length == Length && field.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
