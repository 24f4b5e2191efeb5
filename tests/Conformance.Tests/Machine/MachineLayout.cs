using Conformance.Emulation;
using Conformance.Machine;
using Iced.Intel;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// The layout the machine tests share: a text, a stub and a data region each test's machine maps
/// for itself (the machine maps only its handlers and the tasks' stacks), and Iced to write code.
/// </summary>
internal static class MachineLayout
{
    public const ulong Text = 0x40_0000, Stubs = 0x48_0000, Data = 0x60_0000;
    public const int TextSize = 0x1000, StubSize = 0x1000, DataSize = 0x1000;

    /// <summary>A machine with text, stubs and data mapped.</summary>
    public static Machine Create(MachineOptions options)
    {
        var machine = new Machine(options);
        machine.Memory.Map("text", RegionKind.Text, Text, TextSize);
        machine.Memory.Map("stubs", RegionKind.Stub, Stubs, StubSize);
        machine.Memory.Map("data", RegionKind.Data, Data, DataSize);
        return machine;
    }

    /// <summary>Assembles at <paramref name="address"/> and loads the bytes (before the run: no clock tick, no history).</summary>
    public static void Assemble(Memory memory, ulong address, Action<Assembler> build)
    {
        var a = new Assembler(64);
        build(a);
        Place(memory, a, address);
    }

    /// <summary>Assembles an assembler the test filled itself (keeping its labels); the result gives each label's address.</summary>
    public static AssemblerResult Place(Memory memory, Assembler a, ulong address)
    {
        var writer = new ByteCodeWriter();
        var result = a.Assemble(writer, address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        memory.Load(address, writer.ToArray());
        return result;
    }

    /// <summary>Code that spins forever: <c>jmp $</c> (<c>eb fe</c>).</summary>
    public static void Spin(Memory memory, ulong address) => memory.Load(address, [0xeb, 0xfe]);

    public static ulong Read64(Memory memory, ulong address)
    {
        Span<byte> b = stackalloc byte[8];
        memory.ReadCurrent(address, b);
        return BitConverter.ToUInt64(b);
    }

    /// <summary>The address of a machine handler (from the interrupt table the machine filled).</summary>
    public static ulong HandlerOf(Machine machine, byte vector) => machine.Interrupts[vector]!.Value.Handler;
}

/// <summary>A host routine written as a lambda (a test's own #BP handler).</summary>
internal sealed class HostLambda(string name, Func<Cpu, HostOutcome> body) : IHostRoutine
{
    public string Name { get; } = name;
    public HostOutcome Run(Cpu cpu) => body(cpu);
}
