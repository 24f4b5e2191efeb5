using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking;

/// <summary>
/// Property P2, "equivalent effect" (spec/properties.md), with P3's "visits after completion have
/// the new effect". A visit of a site by a task runs from the step its RIP reaches the site's first
/// byte until control leaves the site, the #BP entry, the patcher's stubs and the machine's
/// interrupt handlers (nested interrupts and preemption do not end it: a visit belongs to a task).
/// Its effect must be that of the old or the new instruction run alone from the visit's start:
/// a call arrives at its target with the site's next address pushed, a jmp arrives at its target,
/// a NOP falls through, RSP accordingly, and every register outside the ABI's clobber set unchanged
/// (C: R10, R11; callee-saved: RAX). This catches skipped calls, clobbered registers, corrupted
/// stacks and reused stubs.
/// </summary>
public sealed class EquivalentEffect
{
    public const string Id = "P2-equivalent-effect";
    private const ulong HandlerArea = Machine.Machine.HandlerBase, HandlerAreaEnd = Machine.Machine.HandlerBase + 0x1000;

    private readonly PatchRig _rig;
    private readonly IReadOnlyList<PatchRequest> _requests;
    private readonly Dictionary<MachineTask, Visit> _open = new();   // lookups only: never iterated for a decision
    private readonly List<Violation> _violations = new();
    private long _completedAt = long.MaxValue;

    private sealed record Visit(PatchSite Site, ulong[] Registers, ulong Rsp, RFlags Flags, byte[] StackAbove, long Step, bool AfterCompletion);

    /// <summary>Bytes above RSP kept at a visit's start: what a <c>ret</c> at the site would pop.</summary>
    private const int StackWindow = 32;

    public EquivalentEffect(PatchRig rig, IReadOnlyList<PatchRequest> requests)
    {
        _rig = rig;
        _requests = requests;
        var previous = rig.Machine.AfterStep;
        rig.Machine.AfterStep = (cpu, kind) => { previous?.Invoke(cpu, kind); OnStep(cpu, kind); };
    }

    public IReadOnlyList<Violation> Violations => _violations;

    /// <summary>Visits still open (a task suspended mid-visit), for reports.</summary>
    public int OpenVisits => _open.Count;

    /// <summary>
    /// Mixes what this check carries from the past into a run's future (the exhaustive explorer's state
    /// hash): whether the patch has completed, and every open visit's start (site, registers, RSP,
    /// flags, the stack window), in task order. The step a visit started at only names it in reports.
    /// </summary>
    public void AddExplorationState(StateHasher h)
    {
        h.Tag("visits");
        h.Mix(_completedAt != long.MaxValue);
        foreach (var task in _rig.Machine.Tasks)
        {
            if (!_open.TryGetValue(task, out var v)) continue;
            h.Mix(task.Id); h.Mix(v.Site.Address); h.Mix(v.Rsp); h.Mix((ulong)v.Flags); h.Mix(v.AfterCompletion);
            foreach (var r in v.Registers) h.Mix(r);
            h.Mix(v.StackAbove);
        }
    }

    private void OnStep(int cpuIndex, MachineStepKind kind)
    {
        var machine = _rig.Machine;
        if (_completedAt == long.MaxValue && machine.WritersDone) _completedAt = machine.Steps;
        // A writer's step (on a CPU shared with tasks too) moves no task.
        if (kind is MachineStepKind.Writer or MachineStepKind.Waiting or MachineStepKind.Idle || machine.CurrentTask(cpuIndex) is not { } task) return;
        var cpu = machine.Cpus[cpuIndex];
        ulong rip = cpu.State.Rip;
        if (_open.TryGetValue(task, out var visit))
        {
            if (kind == MachineStepKind.Faulted)
            {
                _open.Remove(task);
                Report(cpuIndex, visit, $"the visit ended in a fault: {cpu.State.Fault}");
                return;
            }
            if (InsideVisit(visit.Site, rip)) return;
            _open.Remove(task);
            Close(cpuIndex, cpu.State, visit);
            return;
        }
        if (kind is MachineStepKind.Faulted or MachineStepKind.Halted) return;
        for (int i = 0; i < _requests.Count; i++)   // indexed: this runs every step, and a foreach over the interface allocates
            if (_requests[i] is var r && r.Site.Address == rip)
            {
                _open[task] = new Visit(r.Site, (ulong[])cpu.State.Gpr.Clone(), cpu.State.Rsp, cpu.State.Flags, StackAbove(cpu.State.Rsp),
                    machine.Steps, machine.Steps > _completedAt);
                return;
            }
    }

    private bool InsideVisit(PatchSite site, ulong rip) =>
        site.Contains(rip) || rip == PatchRig.BreakpointEntry ||
        (rip >= _rig.Stubs.Base && rip < _rig.Stubs.Base + Workload.StubSize) ||
        (rip >= HandlerArea && rip < HandlerAreaEnd);

    private void Close(int cpuIndex, CpuState now, Visit visit)
    {
        var versions = _requests.Where(r => r.Site == visit.Site)
            .SelectMany(r => visit.AfterCompletion ? new[] { r.New } : new[] { r.Old, r.New })
            .Distinct(ByteArrays.Comparer)
            .ToArray();
        var outcomes = versions.Select(v => (Bytes: v, Alone: RunAlone(visit, v))).ToArray();
        // Of the versions it fails to match, report the one it came closest to (same place, then same RSP, ...).
        (int Closeness, string Why) nearest = (-1, "");
        foreach (var (bytes, alone) in outcomes)
        {
            var mismatch = Compare(alone, visit, now);
            if (mismatch is null) return;
            if (mismatch.Value.Closeness > nearest.Closeness) nearest = mismatch.Value;
        }
        if (nearest.Closeness == 3)
        {
            Report(cpuIndex, visit, nearest.Why);   // the right place, the wrong registers: a clobber
            return;
        }
        string expected = string.Join(" or ", outcomes.Select(o => $"{Forms.Hex(o.Bytes)} ({o.Alone.Describe()})"));
        Report(cpuIndex, visit, $"it left at 0x{now.Rip:x} with RSP {Delta(now.Rsp, visit.Rsp)}{TopOfStack(now, visit)}, " +
                                $"which matches neither {(visit.AfterCompletion ? "the new instruction, the patch being complete," : "the old nor the new instruction")}: " +
                                $"{expected}; {nearest.Why}");
    }

    /// <summary>What one instruction does run alone from the visit's start: next RIP, RSP, registers, and the word it pushed.</summary>
    private readonly record struct Alone(ulong Rip, ulong Rsp, ulong[] Registers, ulong? Pushed, string? Fault)
    {
        public string Describe() => Fault ?? (Pushed is { } p ? $"push 0x{p:x}, go to 0x{Rip:x}" : $"go to 0x{Rip:x}");
    }

    /// <summary>Runs the instruction on a scratch CPU: a page of text holding it at the site, and the stack window.</summary>
    private static Alone RunAlone(Visit v, byte[] instruction)
    {
        ulong page = v.Site.Address & ~0xFFFUL;
        ulong stackBase = (v.Rsp - 64) & ~0xFUL;
        var scratch = ScratchCpu.For(page, stackBase, (int)(v.Rsp - stackBase) + Math.Max(8, v.StackAbove.Length));
        var cpu = scratch.Step(v.Site.Address, instruction, v.Rsp, v.StackAbove, v.Registers, v.Flags, out var result);
        if (result == StepResult.Faulted) return new Alone(0, 0, v.Registers, null, $"cannot run alone: {cpu.State.Fault}");
        ulong? pushed = null;
        if (cpu.State.Rsp < v.Rsp)
        {
            Span<byte> b = stackalloc byte[8];
            scratch.Read(cpu.State.Rsp, b);
            pushed = BitConverter.ToUInt64(b);
        }
        return new Alone(cpu.State.Rip, cpu.State.Rsp, (ulong[])cpu.State.Gpr.Clone(), pushed, null);
    }

    /// <summary>Null when the visit matches; else how close it came (0 place, 1 RSP, 2 pushed word, 3 registers) and why not.</summary>
    private (int Closeness, string Why)? Compare(Alone alone, Visit v, CpuState now)
    {
        if (alone.Fault is not null) return (0, alone.Fault);
        if (now.Rip != alone.Rip) return (0, $"it arrived at 0x{now.Rip:x}, not 0x{alone.Rip:x}");
        if (now.Rsp != alone.Rsp) return (1, $"RSP is 0x{now.Rsp:x}, not 0x{alone.Rsp:x}");
        if (alone.Pushed is { } p && StackWord(now.Rsp) != p) return (2, $"the word at RSP is 0x{StackWord(now.Rsp):x}, not the return address 0x{p:x}");
        var allowed = v.Site.Abi == Abi.C ? new[] { Gpr.R10, Gpr.R11 } : new[] { Gpr.Rax };
        for (int r = 0; r < 16; r++)
        {
            var g = (Gpr)r;
            if (g == Gpr.Rsp || allowed.Contains(g) || alone.Registers[r] == now.Gpr[r]) continue;
            return (3, $"it clobbered {g} (0x{alone.Registers[r]:x} -> 0x{now.Gpr[r]:x}), which a {v.Site.Abi}-ABI caller expects to survive");
        }
        return null;
    }

    private byte[] StackAbove(ulong rsp)
    {
        var region = _rig.Machine.Memory.Find(rsp);
        if (region is null) return [];
        var b = new byte[(int)Math.Min((ulong)StackWindow, region.End - rsp)];   // near the top of the stack, fewer
        _rig.Machine.Memory.ReadCurrent(rsp, b);
        return b;
    }

    private ulong StackWord(ulong address)
    {
        Span<byte> b = stackalloc byte[8];
        var region = _rig.Machine.Memory.Find(address);
        if (region is null || !region.Contains(address, 8)) return ulong.MaxValue;
        _rig.Machine.Memory.ReadCurrent(address, b);
        return BitConverter.ToUInt64(b);
    }

    private static string Delta(ulong now, ulong then) => now == then ? "unchanged" : $"{(long)(now - then):+#;-#}";

    private string TopOfStack(CpuState now, Visit v) => now.Rsp == v.Rsp - 8 ? $" and 0x{StackWord(now.Rsp):x} pushed" : "";

    private void Report(int cpu, Visit v, string what) =>
        _violations.Add(new Violation(Id, cpu, _rig.Machine.Steps, _rig.Machine.Memory.Now, $"visit of {v.Site.Name} (from step {v.Step}{(v.AfterCompletion ? ", after the patch completed" : "")}): {what}")
            { FromStep = v.Step, Site = v.Site });
}
