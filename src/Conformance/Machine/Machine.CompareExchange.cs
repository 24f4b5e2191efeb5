namespace Conformance.Machine;

public sealed partial class Machine
{
    /// <summary>
    /// A writer's <c>lock cmpxchg</c>: read the bytes, and if they are the expected ones store the
    /// new ones, as one event (one step, one tick of the memory clock for the store). The result goes
    /// back into the step for the writer to read when it draws its next one.
    /// </summary>
    private MachineStepKind CompareExchangeStep(int cpuIndex, Writer writer, WriterStep.CompareExchange x)
    {
        int n = x.New.Length;
        string? bad =
            n is not (1 or 2 or 4 or 8) || x.Expected.Length != n ? "must compare and store 1, 2, 4 or 8 bytes, the expected value as wide as the new one"
            : Memory.Find(x.Address) is not { } region || !region.Contains(x.Address, n) ? $"is outside mapped memory (0x{x.Address:x}..0x{x.Address + (ulong)n:x})"
            : !Emulation.Memory.IsOneEvent(x.Address, n) ? "crosses a 64-byte line (a split lock, which the machine does not model)"
            : null;
        if (bad is not null)
        {
            writer.Failure = $"{writer.Name} writer step #{writer.Position} ({x}) {bad}";
            writer.Done = true;
            if (_events is not null) Record(new WriterFailed(_step, cpuIndex, Memory.Now, writer.Name, writer.Failure));
            return MachineStepKind.Idle;
        }
        var current = new byte[n];
        Memory.ReadCurrent(x.Address, current);
        x.Observed = current;
        x.Succeeded = current.AsSpan().SequenceEqual(x.Expected);
        if (x.Succeeded == true)
        {
            long t = Memory.Poke(x.Address, x.New);
            if (_events is not null) Record(new WriterStored(_step, cpuIndex, t, writer.Name, x.Address, x.New));
        }
        else if (_events is not null)
            Record(new WriterAction(_step, cpuIndex, Memory.Now, writer.Name, $"{x}: failed, found {Convert.ToHexString(current).ToLowerInvariant()}"));
        return MachineStepKind.Writer;
    }
}
