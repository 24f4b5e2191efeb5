using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Patching;

/// <summary>How a patch run's machine is set up.</summary>
public sealed record PatchRigOptions
{
    /// <summary>CPUs in all; the last one patches, the others run the workload loop.</summary>
    public int Cpus { get; init; } = 2;
    /// <summary>The patching CPU runs the workload loop too: the patching thread shares it with tasks (the only way a 1-CPU run has readers).</summary>
    public bool PatcherRunsSites { get; init; }
    public IFetchModel FetchModel { get; init; } = new AtomicFetch();
    public bool NmiMayEndStiShadow { get; init; }
    public long StalenessWindow { get; init; } = 256;
    public bool RecordTrace { get; init; }
    /// <summary>Tasks (extra ones go on the reader CPUs' run queues, for preemption); at least one per reader CPU.</summary>
    public int TasksPerCpu { get; init; } = 1;
    /// <summary>Reader CPUs that run the loop with interrupts off.</summary>
    public IReadOnlyList<int> InterruptsOffCpus { get; init; } = Array.Empty<int>();
}

/// <summary>
/// A machine set up to run one patcher over one workload: text with the sites, targets and
/// counters, a stub area for the patcher, the patcher's #BP handler behind Linux's #BP entry
/// (with the patcher's stack gap), tasks looping over the sites on every CPU but the last, and
/// the patcher's steps on the last. A throw, a store outside memory or stray bytes at a site stop
/// the patcher with an error naming it, the step and the cause; a plug-in runs behind
/// <see cref="GuardedPatcher"/> (its calls named and watched; the CLI runs it in a worker process
/// that is stopped when a call hangs).
/// </summary>
public sealed class PatchRig
{
    /// <summary>Where the #BP entry routine lives.</summary>
    public const ulong BreakpointEntry = 0x4f_0000;

    private readonly PatcherGuard _guard;
    private IReadOnlyList<PatchRequest> _active = Array.Empty<PatchRequest>();
    private readonly List<PatchRequest> _started = [];
    private bool _patcherPublishes;

    public PatchRig(IPatcher patcher, Workload workload, PatchRigOptions options, bool isPlugin = false)
    {
        if (options.Cpus < (options.PatcherRunsSites ? 1 : 2))
            throw new ArgumentException($"Cpus = {options.Cpus}: a patch run needs a CPU that runs the sites besides the patching one (or PatcherRunsSites)");
        // A plug-in is guarded however its rig is built (RigPool's, a user's own): the guard travels with the patcher.
        Patcher = isPlugin ? GuardedPatcher.Wrap(patcher) : patcher;
        Workload = workload;
        Options = options;
        _guard = new PatcherGuard(Patcher.Name);
        Machine = new Machine.Machine(new MachineOptions
        {
            Cpus = options.Cpus, FetchModel = options.FetchModel, NmiMayEndStiShadow = options.NmiMayEndStiShadow,
            StalenessWindow = options.StalenessWindow, RecordTrace = options.RecordTrace,
            WatchedCode = [.. workload.Sites.Select(s => (s.Address, s.Next)), .. workload.Padding],
        });
        var memory = Machine.Memory;
        memory.Map("text", RegionKind.Text, Workload.TextBase, Workload.TextSize);
        memory.Map("far-text", RegionKind.Text, Workload.FarTextBase, Workload.TextSize);
        memory.Map("data", RegionKind.Data, Workload.DataBase, Workload.DataSize);
        Stubs = new StubArea(memory.Map("stubs", RegionKind.Stub, Workload.StubBase, Workload.StubSize));
        memory.Map("bp-entry", RegionKind.Stub, BreakpointEntry, 0x10);
        memory.Load(Workload.TextBase, workload.Code);
        memory.Load(Workload.FarTextBase, workload.FarCode);
        memory.Decoded.BindHost(BreakpointEntry, new BreakpointEntryRoutine(this));
        Machine.Interrupts.Set(Vectors.Breakpoint, BreakpointEntry, GateKind.Interrupt);
        for (int t = 0; t < options.TasksPerCpu; t++)
            for (int c = 0; c < (options.PatcherRunsSites ? options.Cpus : WriterCpu); c++)
                Machine.AddTask(c, $"loop{c}.{t}", Workload.Entry);
        foreach (int c in options.InterruptsOffCpus) Machine.Cpus[c].State.Flags &= ~RFlags.IF;
    }

    public IPatcher Patcher { get; private set; }
    public Workload Workload { get; }
    public PatchRigOptions Options { get; }
    public Machine.Machine Machine { get; }
    public StubArea Stubs { get; }
    public int WriterCpu => Options.Cpus - 1;

    /// <summary>Where a concurrent patch runs (<see cref="PatchConcurrently"/>): the CPU before the patching one, shared with its tasks.</summary>
    public int ConcurrentCpu => Options.Cpus - 2;

    /// <summary>The requests of the patch in progress, as the #BP handler sees them (Linux's global bp_desc: the last patch that started writing).</summary>
    public IReadOnlyList<PatchRequest> Active => _active;

    /// <summary>The first store into code the patcher does not own (<see cref="OwnerMap"/>), caught at the store and refused, or null.</summary>
    public OutsideWrite? WroteOutside { get; private set; }

    /// <summary>The patcher's failure (it threw, hung, stored outside memory or stray bytes at a site), or null.</summary>
    public string? Failure => Machine.WriterFailure(WriterCpu) ?? (ConcurrentCpu >= 0 ? Machine.WriterFailure(ConcurrentCpu) : null);

    /// <summary>Starts patching <paramref name="batch"/> on the patching CPU: its steps run as that CPU is scheduled.</summary>
    public void Patch(IReadOnlyList<PatchRequest> batch) => Start(WriterCpu, batch);

    /// <summary>
    /// Starts a second patch of the same patcher at the same time, on <see cref="ConcurrentCpu"/>: two
    /// callers patching at once (P5, single writer). Serializing them is the patcher's job (text_mutex).
    /// </summary>
    public void PatchConcurrently(IReadOnlyList<PatchRequest> batch)
    {
        if (ConcurrentCpu < 0) throw new ArgumentException($"Cpus = {Options.Cpus}: a concurrent patch needs a second CPU");
        Start(ConcurrentCpu, batch);
    }

    private void Start(int cpu, IReadOnlyList<PatchRequest> batch)
    {
        foreach (var r in batch)
        {
            if (Forms.Decode(r.Site.Address, r.New) is null)
                throw new ArgumentException($"request {r}: the new bytes are not one {r.Site.Length}-byte instruction");
            if (Patcher.Accepts(r) is { Accepted: false } declined)
                throw new ArgumentException($"{Patcher.Name} declines {r}: {declined.Fallback}");
        }
        _started.AddRange(batch);
        var context = new PatchContext(Machine.Memory, Stubs, cpu) { Publisher = Publish };
        Machine.SetWriter(cpu, Checked(_guard.Steps(() => Patcher.Steps(context, batch)), batch, cpu), Patcher.Name);
    }

    /// <summary>
    /// Makes the rig as it was when built, with <paramref name="patcher"/> (a fresh instance of the same
    /// patcher) in place of the last one: the machine is reset (<see cref="Machine.Machine.Reset"/>), no
    /// patch is in progress, the stub area is empty. Needs <c>Machine.MarkInitial()</c> once after building.
    /// </summary>
    public void Reset(IPatcher patcher)
    {
        if (Patcher is GuardedPatcher) patcher = GuardedPatcher.Wrap(patcher);
        if (patcher.GetType() != Patcher.GetType() || patcher.Name != Patcher.Name)
            throw new ArgumentException($"a rig built for {Patcher.Name} cannot run {patcher.Name}");
        Machine.Reset();
        Patcher = patcher;
        _active = Array.Empty<PatchRequest>();
        _started.Clear();
        _patcherPublishes = false;
        WroteOutside = null;
        Stubs.Reset();
    }

    /// <summary>The visits counted by target <paramref name="k"/>.</summary>
    public ulong Count(int k)
    {
        Span<byte> b = stackalloc byte[8];
        Machine.Memory.ReadCurrent(Workload.Counter(k), b);
        return BitConverter.ToUInt64(b);
    }

    /// <summary>The current bytes of a site.</summary>
    public byte[] Bytes(PatchSite site)
    {
        var b = new byte[site.Length];
        Machine.Memory.ReadCurrent(site.Address, b);
        return b;
    }

    /// <summary>
    /// Stores into a site may only write the new instruction's bytes, an int3 over its first byte,
    /// or a declared holding instruction; anything else stops the patcher with the step and the bytes.
    /// The batch becomes the active one (what the #BP handler is given) at its first step that is not
    /// taking a lock: once a serializing patcher holds text_mutex, as Linux publishes bp_desc.
    /// </summary>
    /// <remarks>
    /// A store into code outside what the batch owns (<see cref="OwnerMap"/>) is refused at the store:
    /// the patcher stops and <see cref="WroteOutside"/> says where, with the bytes and the owner map.
    /// A patcher that publishes its batch itself (<see cref="PatchContext.Publish"/>) is not published for.
    /// </remarks>
    private IEnumerable<WriterStep> Checked(IEnumerable<WriterStep> steps, IReadOnlyList<PatchRequest> batch, int cpu)
    {
        int n = 0;
        bool published = false;
        OwnerMap? owners = null;
        foreach (var step in steps)
        {
            n++;
            if (!published && !_patcherPublishes && step is not WriterStep.Acquire) { _active = batch; published = true; }
            if (step is WriterStep.Store or WriterStep.CompareExchange)
            {
                var (address, bytes) = step is WriterStep.Store store ? (store.Address, store.Bytes) : (((WriterStep.CompareExchange)step).Address, ((WriterStep.CompareExchange)step).New);
                foreach (var r in batch)
                    if (StrayBytes(address, bytes, r) is { } why)
                        throw new PatcherException($"{Patcher.Name} writer step #{n} ({step}) {why}");
                owners ??= OwnerMap.For(Patcher, batch, Stubs.Base, Workload.StubSize);
                if (owners.FirstOutside(Machine.Memory, address, bytes.Length) is { } first)
                    throw Outside(cpu, $"{Patcher.Name} writer step #{n} ({step})", address, bytes, first, owners);
            }
            yield return step;
        }
    }

    /// <summary>Records the first store outside what the patch owns and makes the exception that stops the writer or declines the trap.</summary>
    private PatcherException Outside(int cpu, string who, ulong address, byte[] bytes, ulong first, OwnerMap owners)
    {
        string message = owners.Describe(who, address, bytes, first, Machine.Memory);
        WroteOutside ??= new OutsideWrite(Machine.Steps, cpu, Machine.Memory.Now, address, bytes, owners.Owned, message);
        return new PatcherException(message);
    }

    /// <summary>The #BP handler's guard on its stores into code: it owns what every patch started in this run owns.</summary>
    private void CheckHandlerStore(int cpu, string handler, ulong address, byte[] bytes)
    {
        var owners = OwnerMap.For(Patcher, _started, Stubs.Base, Workload.StubSize);
        if (owners.FirstOutside(Machine.Memory, address, bytes.Length) is { } first)
            throw Outside(cpu, handler, address, bytes, first, owners);
    }

    /// <summary>The patcher's own publication of the batch its #BP handler serves (<see cref="PatchContext.Publish"/>); empty retracts it.</summary>
    private void Publish(IReadOnlyList<PatchRequest> batch)
    {
        _patcherPublishes = true;
        _active = batch;
    }

    private string? StrayBytes(ulong address, byte[] bytes, PatchRequest r)
    {
        var site = r.Site;
        for (int i = 0; i < bytes.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (!site.Contains(a)) continue;
            int off = (int)(a - site.Address);
            byte b = bytes[i];
            if (b == r.New[off] || (off == 0 && b == Forms.Int3)) continue;
            if (Patcher.HoldingAt.Any(h => h.Holds(off, b))) continue;
            return $"stores 0x{b:x2} at {site.Name}+{off}, which is neither the new instruction ({Forms.Hex(r.New)}), an int3 over its first byte, nor a declared holding instruction";
        }
        return null;
    }

    /// <summary>
    /// What a #BP handler did, read from the frame it leaves and the registers it changed: where the
    /// CPU resumes (and what that place is), what it pushed on the interrupted stack, which registers it set.
    /// </summary>
    private string DescribeResume(BreakpointContext context, ulong trap, ulong[] registersBefore, ulong rspBefore)
    {
        ulong rip = context.Rip;
        var site = Workload.Sites.FirstOrDefault(s => s.Address == trap);
        string where =
            rip == trap ? "the int3 again: retry" :
            rip == trap + 1 ? "the byte after the int3" :
            site is not null && rip == site.Next ? $"the end of {site.Name} (its next instruction)" :
            rip >= Stubs.Base && rip < Stubs.Base + Workload.StubSize ? "the patcher's stub" :
            Workload.Sites.FirstOrDefault(s => s.Address == rip) is { } other ? other.Name :
            "";
        var text = new System.Text.StringBuilder($"resume at 0x{rip:x}{(where.Length > 0 ? $" ({where})" : "")}");
        if (context.Rsp == rspBefore - 8)
        {
            Span<byte> b = stackalloc byte[8];
            Machine.Memory.ReadCurrent(context.Rsp, b);
            text.Append($", pushed 0x{BitConverter.ToUInt64(b):x}");
        }
        else if (context.Rsp != rspBefore)
            text.Append($", RSP {(long)(context.Rsp - rspBefore):+#;-#}");
        for (int r = 0; r < 16; r++)
            if (r != (int)Gpr.Rsp && context.Cpu.State.Gpr[r] != registersBefore[r])
                text.Append($", {((Gpr)r).ToString().ToLowerInvariant()}=0x{context.Cpu.State.Gpr[r]:x}");
        return text.ToString();
    }

    /// <summary>
    /// Linux's #BP entry: from kernel mode it copies the 5-word hardware frame down by the
    /// patcher's gap (so an emulated push cannot land on it), then calls the patcher's handler.
    /// </summary>
    private sealed class BreakpointEntryRoutine(PatchRig rig) : IHostRoutine
    {
        public string Name => $"{rig.Patcher.Name} #BP handler";

        public HostOutcome Run(Cpu cpu)
        {
            ulong frame = cpu.State.Rsp;
            int gap = rig.Patcher.BreakpointStackGap;
            if (gap > 0)
            {
                var words = new byte[40];
                cpu.Memory.ReadCurrent(frame, words);
                frame -= (ulong)gap * 8;
                cpu.Memory.Poke(frame, words);
                cpu.State.Rsp = frame;
            }
            var machine = rig.Machine;
            var context = new BreakpointContext(cpu, frame, rig._active, machine.IsTracing ? machine : null, Name)
            {
                GuardCodeStore = (address, bytes) => rig.CheckHandlerStore(cpu.Id, Name, address, bytes),
            };
            var before = machine.IsTracing ? (Registers: (ulong[])cpu.State.Gpr.Clone(), Rsp: context.Rsp, Trap: context.TrapAddress) : default;
            var result = rig._guard.Handler(() => rig.Patcher.OnBreakpoint(context));
            if (machine.IsTracing)
                machine.RecordHandlerAction(cpu.Id, Name, result.Handled ? rig.DescribeResume(context, before.Trap, before.Registers, before.Rsp) : $"declined: {result.Reason}");
            return result.Handled
                ? HostOutcome.InterruptReturn
                : HostOutcome.Declined($"unclaimed int3 at 0x{context.TrapAddress:x}: {result.Reason}");
        }
    }
}

/// <summary>
/// A store into code the patch does not own, caught at the store (<see cref="OwnerMap"/>): the step
/// and CPU it happened on, the memory clock, the address and bytes, the owner map, and the sentence.
/// </summary>
public sealed record OutsideWrite(long Step, int Cpu, long Time, ulong Address, byte[] Bytes, IReadOnlyList<CodeRange> Owned, string Message);

/// <summary>A patcher did something the suite cannot run: the message names the step and the cause.</summary>
public sealed class PatcherException(string message) : Conformance.Machine.WriterStopException(message);
