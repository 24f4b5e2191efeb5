using Conformance.Emulation;
using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Checking.Exhaustive;

/// <summary>What a reader CPU looked like just before a step, to classify the step once it is taken.</summary>
internal readonly record struct StepStart(ulong Rip, long LastSerializingTime, bool InterruptsEnabled, int WatchedFetches, int FetchChoices);

/// <summary>
/// The conflict rule of the reduction (spec/exhaustive.md, "Reduction"). A step is <b>visible</b>
/// when it may not commute with a step of another CPU; the explorer switches CPUs only after a
/// visible step (or when the running CPU cannot go on), never between invisible ones.
/// Every writer step is visible (stores, sync start and end, its last step). A reader step is
/// visible when it
/// <list type="bullet">
/// <item>fetched bytes of a site (another CPU's store may change them),</item>
/// <item>starts or ends outside the workload's text (the #BP entry, the patcher's stubs, which it
/// writes, the machine's handlers, which acknowledge IPIs),</item>
/// <item>was not a plain retired instruction (a trap, an event delivery, a halt, a fault),</item>
/// <item>serialized (which decides what later fetches may read: it orders against stores), or</item>
/// <item>changed IF or set an interrupt shadow (which decides where a pending IPI can land), or</item>
/// <item>ran in a spinlocked site's lock code (which reads and writes the lock word every reader shares).</item>
/// </list>
/// What is left are workload instructions in text no writer writes (checked), touching the CPU's
/// registers, its own stack and the visit counters; those commute with every other CPU's steps
/// (two counter increments commute but for the flags they leave, which nothing reads).
/// </summary>
internal static class StepVisibility
{
    public static bool InText(ulong address) => Workload.InCode(address);

    public static StepStart Before(Machine.Machine machine, int cpu)
    {
        var s = machine.Cpus[cpu].State;
        return new StepStart(s.Rip, s.LastSerializingTime, s.InterruptsEnabled, machine.Fetches.Count, machine.FetchChoicesTaken.Count);
    }

    /// <summary>Whether the reader step just taken on <paramref name="cpu"/> is visible.</summary>
    public static bool IsVisible(Machine.Machine machine, int cpu, MachineStepKind kind, in StepStart before)
    {
        var s = machine.Cpus[cpu].State;
        return kind != MachineStepKind.Instruction
            || FetchedSite(machine, before)
            || !InText(before.Rip) || !InText(s.Rip)
            || s.LastSerializingTime != before.LastSerializingTime
            || s.InterruptsEnabled != before.InterruptsEnabled || s.Shadow != InterruptShadow.None
            || InLockCode(before.Rip);
    }

    /// <summary>Whether <paramref name="address"/> lies in the lock and unlock code of a spinlocked site (<see cref="Workload.SpinlockArea"/>).</summary>
    public static bool InLockCode(ulong address) =>
        address >= Workload.SpinlockArea && address < Workload.SpinlockArea + (ulong)(ExhaustiveScenario.MaxSites * Workload.SpinlockCodeSize);

    /// <summary>
    /// Whether the reader step just taken was the <c>pause</c> of a spinlock's wait loop (the lock
    /// held by another task): until another CPU takes a visible step (only the holder's unlock, a
    /// lock-code step, changes the owner word), the loop re-reads the same word and repeats the same
    /// state, so the CPU yields as a spinner does.
    /// </summary>
    public static bool PausedForLock(Machine.Machine machine, MachineStepKind kind, in StepStart before)
    {
        if (kind != MachineStepKind.Instruction || !InLockCode(before.Rip) || machine.Memory.Find(before.Rip) is not { } text) return false;
        int at = (int)(before.Rip - text.Base);
        var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(text.Bytes, at, Math.Min(15, text.Bytes.Length - at)), before.Rip);
        decoder.Decode(out var i);
        return i.Mnemonic == Iced.Intel.Mnemonic.Pause;
    }

    /// <summary>Whether the step fetched bytes of a site (the machine records every fetch of watched code).</summary>
    public static bool FetchedSite(Machine.Machine machine, in StepStart before) => machine.Fetches.Count != before.WatchedFetches;

    /// <summary>
    /// Whether the reader step just taken executed a jump to itself fetched from a site: a plain
    /// retired instruction, RIP unchanged, decoded (Iced) as an unconditional near branch whose
    /// target is its own address. Nothing but the memory clock changed, so the CPU's next step
    /// differs from this one only if another CPU changed something (a <c>rep</c> string iteration,
    /// which also leaves RIP in place, is not a branch and does not count).
    /// </summary>
    public static bool SpunInPlace(Machine.Machine machine, int cpu, MachineStepKind kind, in StepStart before)
    {
        if (kind != MachineStepKind.Instruction || !FetchedSite(machine, before) || machine.Cpus[cpu].State.Rip != before.Rip) return false;
        var fetched = machine.Fetches[^1];
        if (fetched.Cpu != cpu || fetched.Rip != before.Rip || fetched.Instruction is not { } d) return false;
        var i = d.Instruction;
        return i.FlowControl == Iced.Intel.FlowControl.UnconditionalBranch && i.IsJmpShortOrNear && i.NearBranchTarget == before.Rip;
    }

    /// <summary>
    /// Whether the fetch choices the step consumed cannot matter: it fetched no site byte, in text
    /// that no writer writes, so every version of its fetch units holds the same instruction bytes
    /// (a unit can be larger than the instruction and span a site it does not reach).
    /// </summary>
    public static bool ChoicesCannotMatter(Machine.Machine machine, in StepStart before) =>
        !FetchedSite(machine, before) && InText(before.Rip);
}
