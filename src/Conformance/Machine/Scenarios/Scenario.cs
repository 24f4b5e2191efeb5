using System.Globalization;

namespace Conformance.Machine;

/// <summary>
/// A litmus-style scenario: a fixed layout, a fixed schedule, a fixed set of writer steps, and
/// watched code whose fetches are the outcome. Parsed from the text format of
/// <c>spec/scenarios/README.md</c>.
/// </summary>
public sealed record Scenario(string Name, string Description, int Cpus, IReadOnlyList<(ulong Address, byte[] Bytes)> Code,
    IReadOnlyList<(int Cpu, ulong Entry, bool InterruptsOff)> Readers, int WriterCpu, IReadOnlyList<WriterStep> WriterSteps,
    IReadOnlyList<(ulong Start, ulong End)> Watched, Schedule Schedule, long StalenessWindow)
{
    public const ulong TextBase = 0x40_0000;
    public const int TextSize = 0x1000;

    /// <summary>Parses a scenario; an error names the file, the line and the cause.</summary>
    public static Scenario Parse(string name, string text)
    {
        string description = "";
        int cpus = 2, writerCpu = -1;
        long window = 256;
        var code = new List<(ulong, byte[])>();
        var readers = new List<(int, ulong, bool)>();
        var steps = new List<WriterStep>();
        var watched = new List<(ulong, ulong)>();
        var runs = new List<ScheduleRun>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string raw = lines[n];
            int hash = raw.IndexOf('#');
            if (hash == 0 && description.Length == 0 && raw.Length > 1) { description = raw[1..].Trim(); continue; }
            string line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0) continue;
            var t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            try
            {
                switch (t[0])
                {
                    case "cpus": cpus = Int(t, 1); break;
                    case "window": window = Int(t, 1); break;
                    case "code": code.Add((Address(t, 1), Bytes(t, 2))); break;
                    case "reader": readers.Add((Int(t, 1), Address(t, 2), t.Length > 3 && t[3] == "if=0")); break;
                    case "watch": { ulong a = Address(t, 1); watched.Add((a, a + (ulong)Int(t, 2))); break; }
                    case "writer": writerCpu = Int(t, 1); break;
                    case "store": steps.Add(new WriterStep.Store(Address(t, 1), Bytes(t, 2))); break;
                    case "sync": steps.Add(new WriterStep.SyncCore()); break;
                    case "pause": steps.Add(new WriterStep.Pause()); break;
                    case "run":
                        foreach (var r in t.Skip(1))
                        {
                            var p = r.Split('x');
                            if (p.Length != 2 || !p[0].StartsWith("cpu", StringComparison.Ordinal))
                                throw new FormatException($"'{r}' is not a run like cpu1x3");
                            runs.Add(new ScheduleRun(int.Parse(p[0][3..], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture)));
                        }
                        break;
                    default: throw new FormatException($"unknown directive '{t[0]}'");
                }
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new FormatException($"{name}:{n + 1}: {e.Message} in '{line}'", e);
            }
        }
        if (writerCpu < 0 && steps.Count > 0) throw new FormatException($"{name}: store/sync steps need a 'writer CPU' line");
        var schedule = new Schedule(runs, Array.Empty<ScheduledInterrupt>(), Array.Empty<int>());
        schedule.Validate(cpus);
        return new Scenario(name, description, cpus, code, readers, writerCpu, steps, watched, schedule, window);
    }

    private static int Int(string[] t, int i) => t.Length > i ? int.Parse(t[i], CultureInfo.InvariantCulture) : throw new FormatException($"'{t[0]}' needs a number");
    private static ulong Address(string[] t, int i) => t.Length > i && t[i].StartsWith("0x", StringComparison.Ordinal)
        ? ulong.Parse(t[i][2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : throw new FormatException($"'{t[0]}' needs a hex address like 0x40003e");
    private static byte[] Bytes(string[] t, int from) => from < t.Length
        ? t.Skip(from).Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray()
        : throw new FormatException($"'{t[0]}' needs bytes");
}
