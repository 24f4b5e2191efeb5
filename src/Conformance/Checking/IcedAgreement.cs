using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Checking;

/// <summary>
/// Runs one built sample for one step and compares what the emulator did with what Iced, the
/// authority, says the instruction is and uses: its length and next RIP; registers read and
/// written within Iced's used registers; memory read and written within Iced's used memory; RSP
/// moved by Iced's stack pointer increment; flags changed only among Iced's modified flags, with
/// the ones Iced says are cleared or set cleared or set; flags read only among Iced's read flags.
/// Events are not Iced's to describe: for <c>int3</c> the check is the #BP frame instead, and
/// <c>iretq</c> loads RSP from its frame.
/// </summary>
public static class IcedAgreement
{
    // Iced's factory reuses its buffers between calls, so each thread gets its own (check runs families in parallel).
    [ThreadStatic] private static InstructionInfoFactory? _infoFactory;
    private static InstructionInfoFactory InfoFactory => _infoFactory ??= new();

    /// <summary>Every disagreement, as a sentence; empty when the emulator agrees with Iced.</summary>
    public static IReadOnlyList<string> Check(BuiltSample b)
    {
        var problems = new List<string>();
        var memory = new Memory();
        memory.Map("text", RegionKind.Text, InstructionSampleBuilder.TextBase, InstructionSampleBuilder.TextSize);
        memory.Map("stubs", RegionKind.Stub, InstructionSampleBuilder.StubBase, InstructionSampleBuilder.StubSize);
        var data = memory.Map("data", RegionKind.Data, InstructionSampleBuilder.DataBase, InstructionSampleBuilder.DataSize);
        var stack = memory.Map("stack", RegionKind.Stack, InstructionSampleBuilder.StackBase, InstructionSampleBuilder.StackSize);
        Fill(data.Bytes, b.Sample.MemorySeed);
        Fill(stack.Bytes, b.Sample.MemorySeed ^ 0x9E37_79B9_7F4A_7C15UL);
        memory.Load(b.Ip, b.Bytes);
        if (b.Instruction.Code == Code.Iretq)
        {
            // A frame the CPU accepts: kernel CS and SS (anything else is #GP); RIP, RFLAGS and RSP stay random.
            memory.Load(InstructionSampleBuilder.StackPointer + 8, BitConverter.GetBytes(0x10UL));
            memory.Load(InstructionSampleBuilder.StackPointer + 32, BitConverter.GetBytes(0x18UL));
        }
        var idt = new InterruptTable();
        idt.Set(Vectors.Breakpoint, InstructionSampleBuilder.StubBase);

        var cpu = new Cpu(0, memory, idt);
        Array.Copy(b.Registers, cpu.State.Gpr, 16);
        cpu.State.Flags = b.Sample.Flags | RFlags.Reserved1;
        cpu.State.Rip = b.Ip;
        var before = cpu.State.Clone();
        var dataBefore = (byte[])data.Bytes.Clone();
        var stackBefore = (byte[])stack.Bytes.Clone();

        var i = b.Instruction;
        var log = new AccessLog();
        var result = cpu.Step(log);
        var after = cpu.State;
        if (result == StepResult.Faulted) { problems.Add($"faulted: {after.Fault}"); return problems; }

        var decoded = memory.Decoded.Lookup(b.Ip, out _);
        if (decoded is null || decoded.Length != i.Length)
            problems.Add($"length: emulator {decoded?.Length} bytes, Iced {i.Length}");

        var info = InfoFactory.GetInfo(i);
        ulong expectedRip = ExpectedNextRip(i, before, b, memory, stackBefore, out string ripRule);
        if (after.Rip != expectedRip) problems.Add($"next RIP: emulator 0x{after.Rip:x}, expected 0x{expectedRip:x} ({ripRule})");

        bool isEvent = i.Code is Code.Int3 or Code.Iretq;
        CheckRegisters(i, info, before, after, log, isEvent, problems);
        if (!isEvent && !WritesRspExplicitly(i) && after.Rsp != before.Rsp + (ulong)(long)i.StackPointerIncrement)
            problems.Add($"RSP moved by {(long)(after.Rsp - before.Rsp)}, Iced's stack pointer increment is {i.StackPointerIncrement}");
        if (i.Code == Code.Int3) CheckBreakpointFrame(b, before, after, memory, problems);
        else CheckMemory(info, before, log, problems);
        CheckChangedBytes("data", data, dataBefore, log, i.Code == Code.Int3, problems);
        CheckChangedBytes("stack", stack, stackBefore, log, i.Code == Code.Int3, problems);
        CheckFlags(i, before.Flags, after.Flags, log.FlagsRead, problems);
        return problems;
    }

    private static ulong ExpectedNextRip(in Instruction i, CpuState before, BuiltSample b, Memory memory, byte[] stackBefore, out string rule)
    {
        switch (i.FlowControl)
        {
            case FlowControl.UnconditionalBranch:
            case FlowControl.Call:
                rule = "Iced's near branch target";
                return i.NearBranch64;
            case FlowControl.ConditionalBranch:
                bool taken = ConditionHolds(i.ConditionCode, before.Flags);
                rule = taken ? $"condition {i.ConditionCode} holds: branch target" : $"condition {i.ConditionCode} fails: fall through";
                return taken ? i.NearBranch64 : i.NextIP;
            case FlowControl.IndirectBranch:
            case FlowControl.IndirectCall:
                rule = "the operand's value";
                return OperandValue(i, before, memory);
            case FlowControl.Return:
                rule = "the value at [RSP]";
                return StackWord(stackBefore, before.Rsp);
            case FlowControl.Interrupt when i.Code == Code.Int3:
                rule = "the #BP gate's handler";
                return InstructionSampleBuilder.StubBase;
            default:
                if (i.Code == Code.Iretq) { rule = "the RIP in the frame at [RSP]"; return StackWord(stackBefore, before.Rsp); }
                rule = "IP + length";
                return i.NextIP;
        }
    }

    private static ulong StackWord(byte[] stack, ulong address) =>
        BitConverter.ToUInt64(stack, (int)(address - InstructionSampleBuilder.StackBase));

    private static ulong OperandValue(in Instruction i, CpuState s, Memory memory)
    {
        if (i.Op0Kind == OpKind.Register) return s.Gpr[i.Op0Register.GetFullRegister() - Register.RAX];
        var info = InfoFactory.GetInfo(i);
        var m = info.GetUsedMemory().First();
        ulong nextIp = i.NextIP;
        ulong address = m.GetVirtualAddress(0, (reg, _, _) => RegisterValue(reg, s, nextIp));
        Span<byte> bytes = stackalloc byte[8];
        memory.ReadCurrent(address, bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private static ulong RegisterValue(Register reg, CpuState s, ulong nextIp)
    {
        if (reg.IsSegmentRegister()) return 0;
        if (reg == Register.RIP) return nextIp;
        if (reg == Register.EIP) return (uint)nextIp;
        ulong v = s.Gpr[reg.GetFullRegister() - Register.RAX];
        return reg.GetSize() switch { 4 => (uint)v, 2 => (ushort)v, 1 => (byte)v, _ => v };
    }

    /// <summary>An independent reading of the Jcc table (SDM vol. 2), so the check does not reuse the emulator's.</summary>
    private static bool ConditionHolds(ConditionCode cc, RFlags f)
    {
        bool Has(RFlags x) => (f & x) != 0;
        return cc switch
        {
            ConditionCode.o => Has(RFlags.OF), ConditionCode.no => !Has(RFlags.OF),
            ConditionCode.b => Has(RFlags.CF), ConditionCode.ae => !Has(RFlags.CF),
            ConditionCode.e => Has(RFlags.ZF), ConditionCode.ne => !Has(RFlags.ZF),
            ConditionCode.be => Has(RFlags.CF | RFlags.ZF), ConditionCode.a => !Has(RFlags.CF | RFlags.ZF),
            ConditionCode.s => Has(RFlags.SF), ConditionCode.ns => !Has(RFlags.SF),
            ConditionCode.p => Has(RFlags.PF), ConditionCode.np => !Has(RFlags.PF),
            ConditionCode.l => Has(RFlags.SF) ^ Has(RFlags.OF), ConditionCode.ge => Has(RFlags.SF) == Has(RFlags.OF),
            ConditionCode.le => Has(RFlags.ZF) || (Has(RFlags.SF) ^ Has(RFlags.OF)),
            ConditionCode.g => !Has(RFlags.ZF) && Has(RFlags.SF) == Has(RFlags.OF),
            _ => throw new ArgumentOutOfRangeException(nameof(cc)),
        };
    }

    private static bool WritesRspExplicitly(in Instruction i)
    {
        for (int k = 0; k < i.OpCount; k++)
            if (i.GetOpKind(k) == OpKind.Register && i.GetOpRegister(k).GetFullRegister() == Register.RSP)
                return true;
        return false;
    }

    private static void CheckRegisters(in Instruction i, InstructionInfo info, CpuState before, CpuState after,
        AccessLog log, bool isEvent, List<string> problems)
    {
        var used = new HashSet<Gpr>();
        var writable = new HashSet<Gpr>();
        foreach (var u in info.GetUsedRegisters())
        {
            var full = u.Register.GetFullRegister();
            if (full < Register.RAX || full > Register.R15) continue;
            var g = (Gpr)(full - Register.RAX);
            used.Add(g);
            if (u.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite)
                writable.Add(g);
        }
        if (isEvent) { used.Add(Gpr.Rsp); writable.Add(Gpr.Rsp); }
        foreach (var g in log.RegistersRead.Order())
            if (!used.Contains(g)) problems.Add($"read {g}, which Iced does not list as used");
        for (int r = 0; r < 16; r++)
        {
            var g = (Gpr)r;
            bool changed = before.Gpr[r] != after.Gpr[r];
            if ((changed || log.RegistersWritten.Contains(g)) && !writable.Contains(g))
                problems.Add($"wrote {g} (0x{before.Gpr[r]:x} -> 0x{after.Gpr[r]:x}), which Iced does not list as written");
        }
    }

    private static void CheckMemory(InstructionInfo info, CpuState before, AccessLog log, List<string> problems)
    {
        var ranges = new List<(ulong Start, ulong End, OpAccess Access)>();
        foreach (var m in info.GetUsedMemory())
        {
            if (!m.TryGetVirtualAddress(0, out ulong a, (Register reg, int _, int _, out ulong v) =>
                {
                    v = reg is Register.RIP or Register.EIP ? 0 : RegisterValueNoIp(reg, before);
                    return reg is not (Register.RIP or Register.EIP);
                }))
                continue;   // RIP-relative: Iced's memory displacement is already absolute
            ranges.Add((a, a + (ulong)Math.Max(1, m.MemorySize.GetSize()), m.Access));
        }
        foreach (var m in info.GetUsedMemory())
            if (m.Base is Register.RIP or Register.EIP)
                ranges.Add((m.Displacement, m.Displacement + (ulong)Math.Max(1, m.MemorySize.GetSize()), m.Access));

        foreach (var (address, width) in log.MemoryReads)
            if (!ranges.Any(r => Covers(r, address, width) && r.Access is OpAccess.Read or OpAccess.CondRead or OpAccess.ReadWrite or OpAccess.ReadCondWrite))
                problems.Add($"read {width} bytes at 0x{address:x}, outside Iced's used memory ({Describe(ranges)})");
        foreach (var (address, width) in log.MemoryWrites)
            if (!ranges.Any(r => Covers(r, address, width) && r.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite))
                problems.Add($"wrote {width} bytes at 0x{address:x}, outside Iced's used memory ({Describe(ranges)})");
    }

    private static ulong RegisterValueNoIp(Register reg, CpuState s)
    {
        if (reg.IsSegmentRegister()) return 0;   // flat: ES/CS/SS/DS bases are zero in long mode
        ulong v = s.Gpr[reg.GetFullRegister() - Register.RAX];
        return reg.GetSize() switch { 4 => (uint)v, 2 => (ushort)v, 1 => (byte)v, _ => v };
    }

    private static bool Covers((ulong Start, ulong End, OpAccess Access) r, ulong address, int width) =>
        address >= r.Start && address + (ulong)width <= r.End;

    private static string Describe(List<(ulong Start, ulong End, OpAccess Access)> ranges) =>
        ranges.Count == 0 ? "none" : string.Join("; ", ranges.Select(r => $"{r.Access} 0x{r.Start:x}..0x{r.End:x}"));

    /// <summary>Every byte that changed must lie in a write the tracer saw, so the access log is complete.</summary>
    private static void CheckChangedBytes(string name, MemoryRegion region, byte[] before, AccessLog log, bool frameAllowed, List<string> problems)
    {
        for (int k = 0; k < before.Length; k++)
        {
            if (before[k] == region.Bytes[k]) continue;
            ulong a = region.Base + (ulong)k;
            if (!log.MemoryWrites.Any(w => a >= w.Address && a < w.Address + (ulong)w.Width) && !frameAllowed)
                problems.Add($"{name} byte at 0x{a:x} changed without a recorded write");
        }
    }

    private static void CheckBreakpointFrame(BuiltSample b, CpuState before, CpuState after, Memory memory, List<string> problems)
    {
        ulong frame = (before.Rsp & ~0xFUL) - 40;
        if (after.Rsp != frame) problems.Add($"#BP frame at 0x{after.Rsp:x}, expected 0x{frame:x} (RSP aligned to 16, 5 words)");
        var w = new byte[40];
        memory.ReadCurrent(frame, w);
        ulong Word(int n) => BitConverter.ToUInt64(w, n * 8);
        if (Word(0) != b.Instruction.NextIP) problems.Add($"#BP frame RIP 0x{Word(0):x}, expected the byte after the int3 0x{b.Instruction.NextIP:x}");
        if (Word(3) != before.Rsp) problems.Add($"#BP frame RSP 0x{Word(3):x}, expected 0x{before.Rsp:x}");
        if (Word(2) != (ulong)(before.Flags | RFlags.Reserved1)) problems.Add($"#BP frame RFLAGS 0x{Word(2):x}, expected 0x{(ulong)before.Flags:x}");
        if (after.InterruptsEnabled) problems.Add("IF still set inside an interrupt-gate #BP handler");
    }

    private static void CheckFlags(in Instruction i, RFlags before, RFlags after, RFlags read, List<string> problems)
    {
        var modified = Map(i.RflagsModified);
        var readable = Map(i.RflagsRead);
        if (i.Code == Code.Int3) modified |= RFlags.IF | RFlags.TF;
        // Iced's RflagsBits has no TF, so TF (which popfq and iretq load) is outside this comparison.
        const RFlags Modeled = RFlags.Arithmetic | RFlags.IF | RFlags.DF;
        var changed = (before ^ after) & Modeled;
        if ((changed & ~modified) != 0) problems.Add($"changed flags {changed & ~modified}, which Iced does not list as modified ({modified})");
        if ((read & ~readable) != 0) problems.Add($"read flags {read & ~readable}, which Iced does not list as read ({readable})");
        var cleared = Map(i.RflagsCleared) & Modeled;
        var set = Map(i.RflagsSet) & Modeled;
        if ((after & cleared) != 0) problems.Add($"flags {after & cleared} set, but Iced says the instruction clears them");
        if ((after & set) != set) problems.Add($"flags {set & ~after} clear, but Iced says the instruction sets them");
    }

    private static RFlags Map(RflagsBits bits)
    {
        RFlags f = 0;
        if ((bits & RflagsBits.OF) != 0) f |= RFlags.OF;
        if ((bits & RflagsBits.SF) != 0) f |= RFlags.SF;
        if ((bits & RflagsBits.ZF) != 0) f |= RFlags.ZF;
        if ((bits & RflagsBits.AF) != 0) f |= RFlags.AF;
        if ((bits & RflagsBits.CF) != 0) f |= RFlags.CF;
        if ((bits & RflagsBits.PF) != 0) f |= RFlags.PF;
        if ((bits & RflagsBits.DF) != 0) f |= RFlags.DF;
        if ((bits & RflagsBits.IF) != 0) f |= RFlags.IF;
        return f;
    }

    /// <summary>Fills with SplitMix64 (the suite's one seeded source): the same seed gives the same bytes on every machine.</summary>
    private static void Fill(byte[] bytes, ulong seed)
    {
        var rng = new Conformance.Machine.SplitMix(seed);
        for (int k = 0; k < bytes.Length; k += 8)
        {
            ulong z = rng.Next();
            for (int j = 0; j < 8 && k + j < bytes.Length; j++) bytes[k + j] = (byte)(z >> (8 * j));
        }
    }
}
