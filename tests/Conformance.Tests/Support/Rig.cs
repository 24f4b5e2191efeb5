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
        var writer = new CodeWriterImpl();
        a.Assemble(writer, address);
        return Load(writer.ToArray(), address);
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

    private sealed class CodeWriterImpl : CodeWriter
    {
        private readonly List<byte> _bytes = new();
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => _bytes.ToArray();
    }
}
