using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Patching;

/// <summary>
/// The instructions patchers write, encoded with Iced at their address (sources.md, section 0),
/// and their classification for expectations.
/// </summary>
public static class Forms
{
    public static readonly byte[] Nop5 = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
    public static readonly byte[] Nop2 = { 0x66, 0x90 };
    public const byte Int3 = 0xcc, CsPrefix = 0x2e;

    /// <summary><c>call target</c> (e8 rel32) at <paramref name="at"/>.</summary>
    public static byte[] Call(ulong at, ulong target) => Encode(Instruction.CreateBranch(Code.Call_rel32_64, target), at);

    /// <summary><c>jmp target</c> (e9 rel32) at <paramref name="at"/>.</summary>
    public static byte[] Jmp(ulong at, ulong target) => Encode(Instruction.CreateBranch(Code.Jmp_rel32_64, target), at);

    /// <summary><c>jmp target</c> (eb rel8) at <paramref name="at"/>.</summary>
    public static byte[] Jmp8(ulong at, ulong target) => Encode(Instruction.CreateBranch(Code.Jmp_rel8_64, target), at);

    /// <summary><c>cs call target</c> (2e e8 rel32) at <paramref name="at"/>.</summary>
    public static byte[] CsCall(ulong at, ulong target) => [CsPrefix, .. Call(at + 1, target)];

    /// <summary>The rel32 that makes a 5-byte branch at <paramref name="at"/> reach <paramref name="target"/>.</summary>
    public static byte[] Rel32(ulong at, ulong target) => BitConverter.GetBytes((int)((long)target - (long)(at + 5)));

    /// <summary>
    /// Decodes one instruction; null when the bytes are not exactly one valid instruction. A
    /// <c>ret</c> or <c>jmp</c> shorter than the bytes counts when the rest is <c>int3</c> padding:
    /// Linux allows exactly that (<c>__smp_text_poke_batch_add</c>; a NULL static-call
    /// trampoline is <c>c3 cc cc cc cc</c>).
    /// </summary>
    public static Instruction? Decode(ulong at, byte[] bytes)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), at);
        decoder.Decode(out var i);
        if (i.IsInvalid) return null;
        if (i.Length == bytes.Length) return i;
        bool padded = i.Mnemonic is Mnemonic.Ret or Mnemonic.Jmp && bytes.AsSpan(i.Length).IndexOfAnyExcept(Int3) < 0;
        return padded ? i : null;
    }

    /// <summary>What an instruction does at a site: call, jmp, nop, ret, or other.</summary>
    public static InstructionClass Classify(ulong at, byte[] bytes)
    {
        if (Decode(at, bytes) is not { } i) return InstructionClass.Other;
        return i.Mnemonic switch
        {
            Mnemonic.Call => InstructionClass.Call,
            Mnemonic.Jmp => InstructionClass.Jmp,
            Mnemonic.Nop => InstructionClass.Nop,
            Mnemonic.Ret => InstructionClass.Ret,
            _ => InstructionClass.Other,
        };
    }

    /// <summary>The direct branch target of a call or jmp (rel8/rel32), or null.</summary>
    public static ulong? Target(ulong at, byte[] bytes) =>
        Decode(at, bytes) is { } i && i.FlowControl is FlowControl.Call or FlowControl.UnconditionalBranch ? i.NearBranch64 : null;

    public static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2")));

    private static byte[] Encode(Instruction instruction, ulong at)
    {
        var writer = new ByteCodeWriter();
        if (!Encoder.Create(64, writer).TryEncode(instruction, at, out _, out var error))
            throw new ArgumentException($"cannot encode {instruction} at 0x{at:x}: {error}");
        return writer.ToArray();
    }
}
