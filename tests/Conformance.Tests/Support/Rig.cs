using Conformance.Emulation;
using Iced.Intel;

namespace Conformance.Tests.Support;

/// <summary>
/// A one-CPU test rig with a fixed layout: text at <see cref="Text"/>, a stub region, a data region
/// and a stack. Code is placed with <see cref="Load"/> or assembled with Iced.
/// </summary>
public sealed class Rig
{
    public const ulong Text = 0x40_0000, Stubs = 0x48_0000, Data = 0x60_0000, Stack = 0x7f_0000;
    public const int TextSize = 0x1_0000, StubSize = 0x1000, DataSize = 0x1_0000, StackSize = 0x1_0000;
    /// <summary>Initial RSP: the top of the stack region.</summary>
    public const ulong StackTop = Stack + StackSize;

    public Memory Memory { get; } = new();
    public InterruptTable Interrupts { get; } = new();
    public Cpu Cpu { get; }
    public CpuState State => Cpu.State;

    public Rig(CpuOptions? options = null)
    {
        Memory.Map("text", RegionKind.Text, Text, TextSize);
        Memory.Map("stubs", RegionKind.Stub, Stubs, StubSize);
        Memory.Map("data", RegionKind.Data, Data, DataSize);
        Memory.Map("stack", RegionKind.Stack, Stack, StackSize);
        Cpu = new Cpu(0, Memory, Interrupts, options);
        State.Rip = Text;
        State.Rsp = StackTop;
    }

    /// <summary>Loads bytes at the start of text (or at <paramref name="address"/>).</summary>
    public Rig Load(byte[] code, ulong address = Text)
    {
        Memory.Load(address, code);
        return this;
    }

    /// <summary>Assembles with Iced at <paramref name="address"/> and loads the result.</summary>
    public Rig Assemble(Action<Assembler> build, ulong address = Text)
    {
        var a = new Assembler(64);
        build(a);
        Place(a, address);
        return this;
    }

    /// <summary>
    /// Assembles an assembler the test filled itself (so it can keep its labels) at
    /// <paramref name="address"/>, loads the bytes, and returns the result, whose
    /// <see cref="AssemblerResult.GetLabelRIP"/> gives each label's address.
    /// </summary>
    public AssemblerResult Place(Assembler a, ulong address = Text)
    {
        var writer = new ByteCodeWriter();
        var result = a.Assemble(writer, address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        Load(writer.ToArray(), address);
        return result;
    }

    /// <summary>Steps until RIP is <paramref name="rip"/> (false if the CPU faults, halts or runs out of steps first).</summary>
    public bool RunUntil(ulong rip, int steps = 1000)
    {
        for (int i = 0; i < steps && State.Rip != rip; i++)
            if (Cpu.Step() is StepResult.Faulted or StepResult.Halted) return State.Rip == rip;
        return State.Rip == rip;
    }

    /// <summary>The five words of an interrupt frame at <paramref name="at"/>, lowest address first.</summary>
    public (ulong Rip, ulong Cs, ulong Rflags, ulong Rsp, ulong Ss) Frame(ulong at) =>
        (Read64(at), Read64(at + 8), Read64(at + 16), Read64(at + 24), Read64(at + 32));

    /// <summary>The current bytes at <paramref name="address"/>.</summary>
    public byte[] Bytes(ulong address, int count)
    {
        var b = new byte[count];
        Memory.ReadCurrent(address, b);
        return b;
    }

    /// <summary>Steps until <paramref name="steps"/> steps are taken or the CPU faults or halts.</summary>
    public StepResult Run(int steps)
    {
        var last = StepResult.Retired;
        for (int i = 0; i < steps; i++)
        {
            last = Cpu.Step();
            if (last is StepResult.Faulted or StepResult.Halted) break;
        }
        return last;
    }

    public ulong Read64(ulong address)
    {
        Span<byte> b = stackalloc byte[8];
        Memory.ReadCurrent(address, b);
        return BitConverter.ToUInt64(b);
    }

    public void Write64(ulong address, ulong value) => Memory.Poke(address, BitConverter.GetBytes(value));

    /// <summary>Writes a 5-word interrupt frame at <paramref name="at"/>, as delivery would have left it.</summary>
    public void WriteFrame(ulong at, ulong rip, ulong cs, ulong flags, ulong rsp, ulong ss)
    {
        Write64(at, rip);
        Write64(at + 8, cs);
        Write64(at + 16, flags);
        Write64(at + 24, rsp);
        Write64(at + 32, ss);
    }
}
