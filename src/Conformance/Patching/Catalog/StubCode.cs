using Conformance.Machine;

namespace Conformance.Patching.Catalog;

/// <summary>
/// The code the 2018-2019 stub proposals generate (sources.md c.2), and where their pre-2019
/// style #BP handler sends a trapped CPU: into a stub for a new call, straight on for a new NOP
/// or jmp (jump_label passed <c>site+5</c> as the handler address; a jmp needs no stub either).
/// </summary>
public static class StubCode
{
    public const byte Sti = 0xfb;

    /// <summary><c>push imm32</c> (68 imm32): the CPU sign-extends the immediate to 64 bits.</summary>
    public static byte[] PushImm32(ulong value)
    {
        if ((ulong)(long)(int)value != value)
            throw new ArgumentException($"0x{value:x} is not a sign-extended imm32: push imm32 cannot push it");
        return [0x68, .. BitConverter.GetBytes((int)value)];
    }

    /// <summary><c>call qword [abs32]</c> (ff 14 25 disp32): an indirect call through a data slot.</summary>
    public static byte[] CallIndirect(ulong slot) => [0xff, 0x14, 0x25, .. Abs32(slot)];

    /// <summary><c>jmp qword [abs32]</c> (ff 24 25 disp32): an indirect jump through a data slot.</summary>
    public static byte[] JmpIndirect(ulong slot) => [0xff, 0x24, 0x25, .. Abs32(slot)];

    /// <summary>Linus's per-call stub at <paramref name="at"/>: <c>push $site.Next; [sti;] jmp target</c>.</summary>
    public static byte[] PushJmp(ulong at, ulong returnAddress, ulong target, bool sti = false)
    {
        byte[] push = PushImm32(returnAddress);
        byte[] middle = sti ? [Sti] : [];
        ulong jmpAt = at + (ulong)(push.Length + middle.Length);
        return [.. push, .. middle, .. Forms.Jmp(jmpAt, target)];
    }

    /// <summary>
    /// Where a trapped CPU goes when the new instruction needs no stub: a NOP's fall-through or a
    /// jmp's target. Null for a call (it needs a stub); anything else throws, naming the scheme.
    /// </summary>
    public static ulong? DirectRedirect(string scheme, PatchRequest r) => Forms.Classify(r.Site.Address, r.New) switch
    {
        InstructionClass.Call => null,
        InstructionClass.Nop => r.Site.Next,
        InstructionClass.Jmp => Forms.Target(r.Site.Address, r.New),
        _ => throw new ArgumentException($"{scheme} redirects a trapped CPU to a stub for a call, or on for a NOP or jmp; it cannot patch {r}"),
    };

    /// <summary>The stub schemes patch a site into a call, a NOP or a jmp; anything else they decline.</summary>
    public static SiteDecision Supports(PatchRequest r) =>
        Forms.Classify(r.Site.Address, r.New) is InstructionClass.Call or InstructionClass.Nop or InstructionClass.Jmp
            ? SiteDecision.Accept
            : SiteDecision.Decline("only a call, a NOP or a jmp can be reached through the stub; other changes need text_poke_bp");

    /// <summary>The target of a new call (the request's new instruction must be one).</summary>
    public static ulong CallTarget(PatchRequest r) => Forms.Target(r.Site.Address, r.New)!.Value;

    /// <summary>Store steps that write <paramref name="code"/> at <paramref name="at"/>, one per instruction.</summary>
    public static IEnumerable<WriterStep> StoreInstructions(ulong at, byte[] code)
    {
        int offset = 0;
        while (offset < code.Length)
        {
            int length = Length(at + (ulong)offset, code[offset..]);
            yield return PatchContext.Store(at + (ulong)offset, code[offset..(offset + length)]);
            offset += length;
        }
    }

    private static int Length(ulong at, byte[] code)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code), at);
        decoder.Decode(out var i);
        return i.IsInvalid ? throw new ArgumentException($"stub bytes {Forms.Hex(code)} at 0x{at:x} do not decode") : i.Length;
    }

    private static byte[] Abs32(ulong address) =>
        address <= int.MaxValue ? BitConverter.GetBytes((uint)address) : throw new ArgumentException($"0x{address:x} does not fit a 32-bit absolute address");
}
