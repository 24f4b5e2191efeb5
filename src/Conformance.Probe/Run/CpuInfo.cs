using System.Globalization;
using System.Text;
using Conformance.Probe.Layout;
using Conformance.Probe.Native;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Probe.Run;

/// <summary>
/// The CPU the probe ran on: vendor, family, model and stepping from <c>cpuid</c> (run as generated
/// code), the model name and microcode revision from /proc/cpuinfo (cpuid does not give the
/// microcode; reading its MSR needs root), the logical CPU count, and whether a hypervisor is there.
/// </summary>
public sealed record CpuInfo(string Vendor, int Family, int Model, int Stepping, string ModelName, string Microcode, int LogicalCpus,
    string? Hypervisor, string Kernel)
{
    public override string ToString() =>
        $"{Vendor} family {Family} (0x{Family:x}) model {Model} (0x{Model:x}) stepping {Stepping} ({ModelName}), microcode {Microcode}, " +
        $"{LogicalCpus} logical CPU{(LogicalCpus == 1 ? "" : "s")}{(Hypervisor is null ? "" : $", under a hypervisor ({Hypervisor})")}; Linux {Kernel}";

    public static CpuInfo Read(ProbeSettings settings)
    {
        var leaf0 = CpuId(settings, 0);
        var leaf1 = CpuId(settings, 1);
        string vendor = Encoding.ASCII.GetString([.. BitConverter.GetBytes(leaf0[1]), .. BitConverter.GetBytes(leaf0[3]), .. BitConverter.GetBytes(leaf0[2])]);
        uint eax = leaf1[0];
        int baseFamily = (int)((eax >> 8) & 0xf), baseModel = (int)((eax >> 4) & 0xf);
        int family = baseFamily == 0xf ? baseFamily + (int)((eax >> 20) & 0xff) : baseFamily;
        int model = baseFamily is 0x6 or 0xf ? baseModel + (int)(((eax >> 16) & 0xf) << 4) : baseModel;
        string? hypervisor = null;
        if ((leaf1[2] & (1u << 31)) != 0)
        {
            var h = CpuId(settings, 0x4000_0000);
            hypervisor = Encoding.ASCII.GetString([.. BitConverter.GetBytes(h[1]), .. BitConverter.GetBytes(h[2]), .. BitConverter.GetBytes(h[3])]).TrimEnd('\0');
            if (hypervisor.Length == 0) hypervisor = "unnamed";
        }
        var proc = ProcCpuinfo();
        return new CpuInfo(vendor.TrimEnd('\0'), family, model, (int)(eax & 0xf), proc.GetValueOrDefault("model name", "?"), proc.GetValueOrDefault("microcode", "unknown"),
            proc.TryGetValue("processors", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : Environment.ProcessorCount, hypervisor,
            File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.Version.ToString());
    }

    /// <summary>The first processor's fields of /proc/cpuinfo, and how many processors it lists.</summary>
    private static Dictionary<string, string> ProcCpuinfo()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists("/proc/cpuinfo")) return fields;
        int processors = 0;
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "processor") processors++;
            else if (processors == 1) fields.TryAdd(key, value);
        }
        fields["processors"] = processors.ToString(CultureInfo.InvariantCulture);
        return fields;
    }

    /// <summary><c>cpuid</c> of one leaf (subleaf 0): eax, ebx, ecx, edx, from a page of generated code.</summary>
    private static unsafe uint[] CpuId(ProbeSettings settings, uint leaf)
    {
        using var arena = ExecutableArena.Create(settings.System, 2 * ExecutableArena.PageSize, [0], [ExecutableArena.PageSize], settings.Memory);
        ulong data = arena.Base + (ulong)ExecutableArena.PageSize;
        arena.WriteCode(arena.Base, Asm.At(arena.Base, a =>
        {
            a.push(rbx);
            a.mov(r8, rdx);          // cpuid overwrites rdx
            a.mov(eax, edi);
            a.mov(ecx, esi);
            a.cpuid();
            a.mov(__dword_ptr[r8], eax);
            a.mov(__dword_ptr[r8 + 4], ebx);
            a.mov(__dword_ptr[r8 + 8], ecx);
            a.mov(__dword_ptr[r8 + 12], edx);
            a.pop(rbx);
            a.ret();
        }));
        ((delegate* unmanaged<uint, uint, ulong, void>)(void*)arena.Base)(leaf, 0, data);
        long lo = arena.ReadData(data), hi = arena.ReadData(data + 8);
        return [(uint)lo, (uint)(lo >> 32), (uint)hi, (uint)(hi >> 32)];
    }
}
