using Conformance.Machine;
using Conformance.Patching;

namespace Conformance.Tests.Patching.Catalog;

/// <summary>
/// Hand-driven schedules for catalog tests: the patching CPU (the last one) stepped alone, reader
/// CPU 0 stepped until it stands where a test wants it, preemptions raised at chosen moments.
/// </summary>
internal static class CatalogDriving
{
    public const int Reader = 0;

    /// <summary>
    /// Runs the writer alone (readers only take the sync IPIs: deliver, handle) and returns
    /// <paramref name="state"/> after each writer step where it changed, starting with the state before.
    /// </summary>
    public static List<string> StatesAfterEachWriterStep(PatchRig rig, Func<string> state, int maxSteps = 400)
    {
        var seen = new List<string> { state() };
        for (int i = 0; i < maxSteps && !rig.Machine.WritersDone; i++)
        {
            if (rig.Machine.Step(rig.WriterCpu) == MachineStepKind.Waiting)
                for (int c = 0; c < rig.WriterCpu; c++) { rig.Machine.Step(c); rig.Machine.Step(c); }
            string now = state();
            if (seen[^1] != now) seen.Add(now);
        }
        Assert.True(rig.Machine.WritersDone, $"the writer did not finish: {rig.Machine.WriterStatus(rig.WriterCpu)}");
        return seen;
    }

    /// <summary>
    /// Steps the writer until <paramref name="until"/> holds. Readers only take its sync IPIs
    /// (deliver, handle): they stand where they were.
    /// </summary>
    public static void StepWriterUntil(PatchRig rig, Func<bool> until, int max = 100)
    {
        for (int i = 0; i < max && !until(); i++)
            if (rig.Machine.Step(rig.WriterCpu) == MachineStepKind.Waiting)
                for (int c = 0; c < rig.WriterCpu; c++)
                {
                    ulong rip = rig.Machine.Cpus[c].State.Rip;
                    Assert.Equal(MachineStepKind.Delivered, rig.Machine.Step(c));
                    rig.Machine.Step(c);
                    Assert.Equal(rip, rig.Machine.Cpus[c].State.Rip);
                }
        Assert.True(until(), "the writer never got there");
    }

    /// <summary>Runs the writer to its end; whenever it waits for a sync, the reader CPU takes one step.</summary>
    public static void FinishWriter(PatchRig rig, int max = 5000)
    {
        for (int i = 0; i < max && !rig.Machine.WritersDone; i++)
            if (rig.Machine.Step(rig.WriterCpu) == MachineStepKind.Waiting)
                rig.Machine.Step(Reader);
        Assert.True(rig.Machine.WritersDone, $"the writer did not finish: {rig.Machine.WriterStatus(rig.WriterCpu)}");
        Assert.Null(rig.Failure);
    }

    /// <summary>Steps the reader until <paramref name="until"/> holds; it must not fault on the way.</summary>
    public static void StepReaderUntil(PatchRig rig, Func<bool> until, int max = 500)
    {
        for (int i = 0; i < max && !until(); i++)
            Assert.NotEqual(MachineStepKind.Faulted, rig.Machine.Step(Reader));
        Assert.True(until(), $"cpu{Reader} never got there (rip 0x{rig.Machine.Cpus[Reader].State.Rip:x})");
    }

    /// <summary>Raises a preempting timer on the reader and steps it until it runs another task.</summary>
    public static void Preempt(PatchRig rig)
    {
        var from = rig.Machine.CurrentTask(Reader);
        rig.Machine.Raise(new ScheduledInterrupt(rig.Machine.Steps, Reader, InterruptKind.PreemptingTimer));
        StepReaderUntil(rig, () => rig.Machine.CurrentTask(Reader) != from && rig.Machine.Cpus[Reader].State.Rip < Conformance.Machine.Machine.HandlerBase, 10);
    }

    /// <summary>The verdict a patcher declares for a fetch model and the NMI switch, as "pass" or "fail (Kind)", found through the registry.</summary>
    public static string Declared(string patcher, string model, bool nmiMayEndStiShadow = false)
    {
        var info = PatcherRegistry.Get(patcher);
        var e = Expect.For(info.Expectations, model, Expect.T(InstructionClass.Call, InstructionClass.Call), Abi.C, nmiMayEndStiShadow);
        return e is null ? "none" : e.Verdict.ToString().ToLowerInvariant() + (e.Failure is { } f ? $" ({f})" : "");
    }

    public static ulong Rip(PatchRig rig) => rig.Machine.Cpus[Reader].State.Rip;

    public static byte[] Read(PatchRig rig, ulong address, int length)
    {
        var b = new byte[length];
        rig.Machine.Memory.ReadCurrent(address, b);
        return b;
    }

    public static ulong Word(PatchRig rig, ulong address) => BitConverter.ToUInt64(Read(rig, address, 8));

    /// <summary>The 8 bytes on top of the reader's stack.</summary>
    public static ulong TopOfStack(PatchRig rig) => Word(rig, rig.Machine.Cpus[Reader].State.Rsp);
}
