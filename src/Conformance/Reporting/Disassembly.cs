using Conformance.Emulation;
using Conformance.Patching;
using Iced.Intel;

namespace Conformance.Reporting;

/// <summary>
/// How reports write instructions: Iced's Intel formatter with the kernel's habits (lowercase hex
/// with a 0x prefix, no leading zeros on branch targets, no "near ptr"), so a timeline reads like
/// objdump rather than MASM.
/// </summary>
public static class Disassembly
{
    // Formatters keep per-call state: one per thread, never shared.
    [ThreadStatic] private static IntelFormatter? _formatter;

    private static IntelFormatter Formatter => _formatter ??= new IntelFormatter
    {
        Options =
        {
            HexPrefix = "0x", HexSuffix = null, UppercaseHex = false, BranchLeadingZeros = false,
            ShowBranchSize = false, SpaceAfterOperandSeparator = true,
        },
    };

    /// <summary>One instruction as text.</summary>
    public static string Format(in Instruction instruction)
    {
        var output = new StringOutput();
        Formatter.Format(instruction, output);
        return output.ToStringAndReset();
    }

    /// <summary>A decoded instruction as text; a host routine (a handler) by its name in angle brackets.</summary>
    public static string Format(DecodedInstruction? decoded) =>
        decoded is null ? "(nothing decoded)"
        : decoded.HostName is { } host ? $"<{host}>"
        : Format(decoded.Instruction);

    /// <summary>Bytes as one instruction at <paramref name="at"/>, or a note that they are not one.</summary>
    public static string Format(ulong at, byte[] bytes) =>
        Forms.Decode(at, bytes) is { } i ? Format(i) : "(not one instruction)";

    /// <summary>Bytes as lowercase hex pairs: <c>e8 01 02 03 04</c>.</summary>
    public static string Hex(IEnumerable<byte> bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2")));
}
