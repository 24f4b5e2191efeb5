using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Tests.Support;

/// <summary>
/// Runs an <see cref="InstructionCase"/> on a fresh <see cref="Rig"/> and lists every way the
/// outcome differs from what the case expects. Unlisted state must be unchanged: registers keep
/// their initial values, flags their initial flags, the shadow stays none, every byte of every
/// region not covered by an expected memory item keeps its value, and RIP ends just past the
/// instruction (or, for a fault, at it).
/// </summary>
public static class InstructionCaseRunner
{
    /// <summary>Runs the case; returns the mismatches (empty when the case passes).</summary>
    public static List<string> Run(InstructionCase c)
    {
        var rig = new Rig().Load(c.Bytes);
        var s = rig.State;
        foreach (var (reg, value) in c.Initial.Registers) s[reg] = value;
        s.Rip = c.Initial.Rip ?? Rig.Text;
        s.Flags = c.Initial.Flags | RFlags.Reserved1;
        foreach (var m in c.Initial.Memory) rig.Memory.Load(m.Address, LittleEndian(m.Value, m.Width));
        var before = s.Clone();
        var image = rig.Memory.Regions.Select(r => (Region: r, Bytes: (byte[])r.Bytes.Clone())).ToList();

        var result = rig.Run(c.Initial.Steps);

        var e = c.Expected;
        var bad = new List<string>();
        if (e.Fault is { } kind)
        {
            if (s.Run != RunState.Faulted) bad.Add($"fault: expected {kind}, actual none (run state {s.Run})");
            else if (s.Fault!.Kind != kind) bad.Add($"fault: expected {kind}, actual {s.Fault}");
            if (e.FaultAddress is { } fa && s.Fault is { } f && f.Address != fa)
                bad.Add($"faultaddr: expected 0x{fa:x}, actual 0x{f.Address:x}");
        }
        else if (s.Run == RunState.Faulted)
            bad.Add($"fault: expected none, actual {s.Fault}");

        var expectedResult = e.Result ?? (e.Fault is not null ? StepResult.Faulted : StepResult.Retired);
        if (result != expectedResult) bad.Add($"result: expected {expectedResult}, actual {result}");

        for (int i = 0; i < 16; i++)
        {
            var reg = (Gpr)i;
            ulong want = e.Registers.TryGetValue(reg, out var v) ? v : before[reg];
            if (s[reg] != want) bad.Add($"{reg.ToString().ToLowerInvariant()}: expected 0x{want:x}, actual 0x{s[reg]:x}");
        }

        ulong rip = e.Rip ?? (e.Fault is not null ? before.Rip : before.Rip + (ulong)Decode(c.Bytes).Length);
        if (s.Rip != rip) bad.Add($"rip: expected 0x{rip:x} (text+0x{rip - Rig.Text:x}), actual 0x{s.Rip:x} (text+0x{s.Rip - Rig.Text:x})");

        var flags = (e.Flags ?? c.Initial.Flags) | RFlags.Reserved1;
        if (s.Flags != flags) bad.Add($"flags: expected {Format(flags)}, actual {Format(s.Flags)}");

        var shadow = e.Shadow ?? InterruptShadow.None;
        if (s.Shadow != shadow) bad.Add($"shadow: expected {shadow}, actual {s.Shadow}");

        var listed = new HashSet<ulong>();
        var b = new byte[8];
        foreach (var m in e.Memory)
        {
            Array.Clear(b);
            rig.Memory.ReadCurrent(m.Address, b.AsSpan(0, m.Width));
            ulong actual = BitConverter.ToUInt64(b);
            if (actual != m.Value) bad.Add($"{m}: expected 0x{m.Value:x}, actual 0x{actual:x}");
            for (int k = 0; k < m.Width; k++) listed.Add(m.Address + (ulong)k);
        }
        foreach (var (region, old) in image)
            for (int k = 0; k < old.Length; k++)
            {
                ulong at = region.Base + (ulong)k;
                if (old[k] != region.Bytes[k] && !listed.Contains(at))
                    bad.Add($"mem8[0x{at:x}] ({region.Name}): expected unchanged 0x{old[k]:x2}, actual 0x{region.Bytes[k]:x2}");
            }
        return bad;
    }

    /// <summary>The first instruction of <paramref name="bytes"/>, decoded by Iced at <see cref="Rig.Text"/>.</summary>
    public static Instruction Decode(byte[] bytes)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), Rig.Text);
        decoder.Decode(out var instruction);
        return instruction;
    }

    /// <summary>Every instruction of <paramref name="bytes"/>, formatted by Iced and separated by "; ".</summary>
    public static string Disassemble(byte[] bytes)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), Rig.Text);
        var formatter = new NasmFormatter();
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = null;
        var parts = new List<string>();
        while (decoder.IP < Rig.Text + (ulong)bytes.Length)
        {
            decoder.Decode(out var instruction);
            var output = new StringOutput();
            formatter.Format(instruction, output);
            parts.Add(instruction.IsInvalid ? "(invalid)" : output.ToStringAndReset());
        }
        return string.Join("; ", parts);
    }

    private static byte[] LittleEndian(ulong value, int width) => BitConverter.GetBytes(value)[..width];

    private static string Format(RFlags f)
    {
        var names = new List<string>();
        foreach (var bit in new[] { RFlags.CF, RFlags.PF, RFlags.AF, RFlags.ZF, RFlags.SF, RFlags.OF, RFlags.IF, RFlags.TF, RFlags.DF })
            if ((f & bit) != 0) names.Add(bit.ToString());
        var other = f & ~(InstructionCase.Nameable | RFlags.Reserved1);
        if ((f & RFlags.Reserved1) == 0) names.Add("!bit1");
        if (other != 0) names.Add($"0x{(ulong)other:x}");
        return names.Count == 0 ? "(none)" : string.Join(",", names);
    }
}
