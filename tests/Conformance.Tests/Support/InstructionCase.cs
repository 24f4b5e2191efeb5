using System.Globalization;
using Conformance.Emulation;

namespace Conformance.Tests.Support;

/// <summary>A memory item of a case: <c>memN[address]=value</c>, N = 8, 16, 32 or 64.</summary>
public readonly record struct MemoryItem(ulong Address, int Width, ulong Value)
{
    public override string ToString() => $"mem{Width * 8}[0x{Address:x}]";
}

/// <summary>The machine state a case starts from (the middle field of a line).</summary>
public sealed class InitialState
{
    /// <summary>Registers given; the rest start at zero, except RSP, which starts at <see cref="Rig.StackTop"/>.</summary>
    public Dictionary<Gpr, ulong> Registers { get; } = new();
    /// <summary>Absolute RIP, when given; by default the start of text.</summary>
    public ulong? Rip { get; set; }
    /// <summary>RFLAGS bits to set (besides the always-one bit 1).</summary>
    public RFlags Flags { get; set; }
    public List<MemoryItem> Memory { get; } = new();
    /// <summary>How many steps to run (default 1).</summary>
    public int Steps { get; set; } = 1;
}

/// <summary>What a case expects after its steps (the last field of a line). Null means "not listed".</summary>
public sealed class ExpectedState
{
    public Dictionary<Gpr, ulong> Registers { get; } = new();
    /// <summary>Absolute RIP (a <c>rip=+N</c> token is resolved against <see cref="Rig.Text"/>).</summary>
    public ulong? Rip { get; set; }
    public RFlags? Flags { get; set; }
    public List<MemoryItem> Memory { get; } = new();
    public FaultKind? Fault { get; set; }
    public ulong? FaultAddress { get; set; }
    public StepResult? Result { get; set; }
    public InterruptShadow? Shadow { get; set; }
}

/// <summary>
/// One hand-worked instruction case, parsed from a line <c>&lt;hex bytes&gt; | &lt;initial&gt; | &lt;expected&gt;</c>
/// of a file under <c>Data/Instructions</c>. See <c>Data/Instructions/README.md</c> for the token grammar.
/// A malformed line is a <see cref="FormatException"/> whose message names <c>file:line</c> and the bad token.
/// </summary>
public sealed class InstructionCase
{
    /// <summary>Flags a case may name: the six status flags, IF, and (for popfq) TF and DF.</summary>
    public const RFlags Nameable = RFlags.Arithmetic | RFlags.IF | RFlags.TF | RFlags.DF;

    private InstructionCase(string file, int line, string text, byte[] bytes, InitialState initial, ExpectedState expected)
    {
        File = file;
        Line = line;
        Text = text;
        Bytes = bytes;
        Initial = initial;
        Expected = expected;
    }

    public string File { get; }
    public int Line { get; }
    /// <summary>The line as written.</summary>
    public string Text { get; }
    /// <summary>The code, loaded at <see cref="Rig.Text"/>.</summary>
    public byte[] Bytes { get; }
    public InitialState Initial { get; }
    public ExpectedState Expected { get; }

    /// <summary><c>file:line</c>, the case's name.</summary>
    public string Name => $"{File}:{Line}";

    public override string ToString() => Name;

    /// <summary>Whether a line holds a case (not blank, not a <c>#</c> comment).</summary>
    public static bool IsCase(string line)
    {
        var t = line.Trim();
        return t.Length > 0 && t[0] != '#';
    }

    /// <summary>Parses one case line; throws <see cref="FormatException"/> naming <c>file:line</c> and the bad token.</summary>
    public static InstructionCase Parse(string file, int line, string text)
    {
        string where = $"{file}:{line}";
        var fields = text.Split('|');
        if (fields.Length != 3)
            throw new FormatException($"{where}: expected '<hex bytes> | <initial state> | <expected state>' (3 fields separated by '|'), found {fields.Length} field(s) in '{text.Trim()}'");

        var bytes = new List<byte>();
        foreach (var token in Tokens(fields[0]))
        {
            if (token.Length != 2 || !byte.TryParse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                throw Bad(where, token, "not a hex byte (two hex digits)");
            bytes.Add(b);
        }
        if (bytes.Count is 0 or > DecodeCache.MaxInstructionLength * 4)
            throw new FormatException($"{where}: the bytes field '{fields[0].Trim()}' must hold 1 to {DecodeCache.MaxInstructionLength * 4} bytes");

        var initial = new InitialState();
        var seen = new HashSet<string>();
        foreach (var token in Tokens(fields[1]))
        {
            var (key, value) = Split(where, token, seen);
            if (TryRegister(key, out var reg)) initial.Registers[reg] = Number(where, token, value);
            else if (key == "rip") initial.Rip = Number(where, token, value);
            else if (key == "flags") initial.Flags = Flags(where, token, value);
            else if (key == "steps")
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int steps) || steps is < 1 or > 1000)
                    throw Bad(where, token, "steps must be a decimal number from 1 to 1000");
                initial.Steps = steps;
            }
            else if (TryMemory(where, token, key, value, out var item)) initial.Memory.Add(item);
            else throw Bad(where, token, "unknown initial-state token (rax..r15, rip, flags, steps, mem8/16/32/64[addr])");
        }

        var expected = new ExpectedState();
        seen.Clear();
        foreach (var token in Tokens(fields[2]))
        {
            var (key, value) = Split(where, token, seen);
            if (TryRegister(key, out var reg)) expected.Registers[reg] = Number(where, token, value);
            else if (key == "rip")
                expected.Rip = value.StartsWith('+') ? Rig.Text + Number(where, token, value[1..]) : Number(where, token, value);
            else if (key == "flags") expected.Flags = Flags(where, token, value);
            else if (key == "fault") expected.Fault = Enum<FaultKind>(where, token, value);
            else if (key == "faultaddr") expected.FaultAddress = Number(where, token, value);
            else if (key == "result") expected.Result = Enum<StepResult>(where, token, value);
            else if (key == "shadow") expected.Shadow = Enum<InterruptShadow>(where, token, value);
            else if (TryMemory(where, token, key, value, out var item)) expected.Memory.Add(item);
            else throw Bad(where, token, "unknown expected-state token (rax..r15, rip, flags, mem8/16/32/64[addr], fault, faultaddr, result, shadow)");
        }

        if (initial.Steps > 1 && expected.Rip is null)
            throw new FormatException($"{where}: a case of {initial.Steps} steps must list the expected rip");
        if (expected.FaultAddress is not null && expected.Fault is null)
            throw new FormatException($"{where}: 'faultaddr' needs a 'fault' token");
        if (expected.Fault is not null && expected.Result is not null and not StepResult.Faulted)
            throw new FormatException($"{where}: a fault case cannot expect result={expected.Result}");
        return new InstructionCase(file, line, text, bytes.ToArray(), initial, expected);
    }

    /// <summary>The files under <c>Data/Instructions</c> next to the test assembly.</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "Data", "Instructions");

    /// <summary>Every case line of every data file as (file name, line number), in file and line order. Not parsed yet.</summary>
    public static IEnumerable<(string File, int Line)> Enumerate()
    {
        foreach (var path in Directory.GetFiles(DataDirectory, "*.txt").Order(StringComparer.Ordinal))
        {
            var lines = System.IO.File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
                if (IsCase(lines[i])) yield return (Path.GetFileName(path), i + 1);
        }
    }

    /// <summary>Reads and parses the case at <paramref name="line"/> (1-based) of a data file.</summary>
    public static InstructionCase Load(string file, int line)
    {
        var lines = System.IO.File.ReadAllLines(Path.Combine(DataDirectory, file));
        return Parse(file, line, lines[line - 1]);
    }

    // ---- tokens ----------------------------------------------------------------------------

    private static string[] Tokens(string field) =>
        field.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static FormatException Bad(string where, string token, string why) =>
        new($"{where}: bad token '{token}': {why}");

    private static (string Key, string Value) Split(string where, string token, HashSet<string> seen)
    {
        int eq = token.IndexOf('=');
        if (eq <= 0) throw Bad(where, token, "expected key=value");
        string key = token[..eq].ToLowerInvariant();
        if (!seen.Add(key)) throw Bad(where, token, $"'{key}' is given twice");
        return (key, token[(eq + 1)..]);
    }

    private static bool TryRegister(string key, out Gpr reg)
    {
        string[] names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
        int i = Array.IndexOf(names, key);
        reg = (Gpr)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>Hex with <c>0x</c> (underscores allowed as separators) or decimal; 64 bits.</summary>
    private static ulong Number(string where, string token, string text)
    {
        ulong v = 0;
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? text.Length > 2 && ulong.TryParse(text[2..].Replace("_", ""), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok) throw Bad(where, token, $"'{text}' is not a 64-bit number (0x-prefixed hex or decimal)");
        return v;
    }

    private static RFlags Flags(string where, string token, string text)
    {
        RFlags f = 0;
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!System.Enum.TryParse<RFlags>(name, ignoreCase: false, out var bit) || !IsSingleNameable(bit) || name != bit.ToString())
                throw Bad(where, token, $"'{name}' is not a flag a case may name (CF PF AF ZF SF OF IF TF DF)");
            f |= bit;
        }
        return f;

        static bool IsSingleNameable(RFlags bit) => bit != 0 && (bit & (bit - 1)) == 0 && (bit & Nameable) == bit;
    }

    private static T Enum<T>(string where, string token, string text) where T : struct, System.Enum
    {
        if (!System.Enum.TryParse<T>(text, ignoreCase: false, out var v) || !System.Enum.IsDefined(v) || text != v.ToString())
            throw Bad(where, token, $"'{text}' is not a {typeof(T).Name} ({string.Join(", ", System.Enum.GetNames<T>())})");
        return v;
    }

    private static bool TryMemory(string where, string token, string key, string value, out MemoryItem item)
    {
        item = default;
        if (!key.StartsWith("mem", StringComparison.Ordinal)) return false;
        int open = key.IndexOf('[');
        if (open < 0 || !key.EndsWith(']'))
            throw Bad(where, token, "expected memN[address]=value");
        int width = key[3..open] switch
        {
            "8" => 1, "16" => 2, "32" => 4, "64" => 8,
            _ => throw Bad(where, token, "memory width must be 8, 16, 32 or 64"),
        };
        ulong address = Number(where, token, key[(open + 1)..^1]);
        bool inData = address >= Rig.Data && address + (ulong)width <= Rig.Data + Rig.DataSize;
        bool inStack = address >= Rig.Stack && address + (ulong)width <= Rig.StackTop;
        if (!inData && !inStack)
            throw Bad(where, token, $"0x{address:x}..+{width} is not inside the data or the stack region");
        ulong v = Number(where, token, value);
        if (width < 8 && v >> (width * 8) != 0)
            throw Bad(where, token, $"0x{v:x} does not fit in {width * 8} bits");
        item = new MemoryItem(address, width, v);
        return true;
    }
}
