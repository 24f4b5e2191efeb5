using Iced.Intel;

namespace Conformance.Emulation;

/// <summary>Turns an Iced instruction into the pre-resolved form the step loop executes.</summary>
internal static class InstructionBuilder
{
    public static DecodedInstruction Build(ulong address, in Instruction i)
    {
        var d = new DecodedInstruction { Address = address, Length = i.Length, Iced = i };
        var op = i.IsInvalid ? Op.Unsupported : InstructionSet.OpOf(i.Code);
        // FS and GS have bases the model does not keep; a memory access through them is outside the subset
        // (lea and the multi-byte NOPs only name an address, so they stay in).
        if (op is not (Op.Unsupported or Op.Lea or Op.Nop) && HasMemory(i) && i.MemorySegment is Register.FS or Register.GS)
            op = Op.Unsupported;
        d.Op = op;
        if (op == Op.Unsupported) return d;

        int count = i.OpCount;
        if (count > 0) d.A = Resolve(i, 0, ref d.Target);
        if (count > 1) d.B = Resolve(i, 1, ref d.Target);
        d.Size = (byte)OperandSize(i, op, d);
        d.Condition = i.ConditionCode;
        if (op == Op.Ret && count == 1) d.A = new Operand { Kind = OperandKind.Immediate, Immediate = i.Immediate16 };
        return d;
    }

    private static bool HasMemory(in Instruction i)
    {
        for (int k = 0; k < i.OpCount; k++)
            if (i.GetOpKind(k) == OpKind.Memory) return true;
        return false;
    }

    private static Operand Resolve(in Instruction i, int n, ref ulong target)
    {
        switch (i.GetOpKind(n))
        {
            case OpKind.Register:
                var reg = i.GetOpRegister(n);
                bool high = reg is Register.AH or Register.CH or Register.DH or Register.BH;
                byte index = high ? (byte)(reg - Register.AH) : (byte)(reg.GetFullRegister() - Register.RAX);
                return new Operand { Kind = OperandKind.Register, Reg = index, HighByte = high };
            case OpKind.Memory:
                return Memory(i);
            case OpKind.NearBranch64:
                target = i.NearBranch64;
                return new Operand { Kind = OperandKind.Immediate, Immediate = i.NearBranch64 };
            default:   // every immediate kind; Iced sign-extends to the operand size
                return new Operand { Kind = OperandKind.Immediate, Immediate = i.GetImmediate(n) };
        }
    }

    private static Operand Memory(in Instruction i)
    {
        var m = new Operand { Kind = OperandKind.Memory, Base = Operand.NoRegister, Index = Operand.NoRegister };
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        // 0x67 gives 32-bit addressing: the effective address is computed in 32 bits and zero-extended.
        // Iced reports it through 32-bit base/index registers, or a 4-byte displacement when there are none.
        m.Address32 = b != Register.None ? b.GetSize() == 4 : x != Register.None ? x.GetSize() == 4 : i.MemoryDisplSize == 4;
        if (i.IsIPRelativeMemoryOperand)
        {
            // Iced already folded RIP (EIP) + displacement into an absolute address.
            m.Displacement = i.IPRelativeMemoryAddress;
            return m;
        }
        if (b != Register.None) m.Base = (byte)(b.GetFullRegister() - Register.RAX);
        if (x != Register.None)
        {
            m.Index = (byte)(x.GetFullRegister() - Register.RAX);
            m.ScaleShift = (byte)System.Numerics.BitOperations.Log2((uint)i.MemoryIndexScale);
        }
        m.Displacement = i.MemoryDisplacement64;
        return m;
    }

    private static int OperandSize(in Instruction i, Op op, DecodedInstruction d)
    {
        switch (op)
        {
            case Op.Push: case Op.Pop: case Op.Pushfq: case Op.Popfq:
            case Op.CallRel: case Op.CallIndirect: case Op.JmpIndirect: case Op.Ret:
                return 8;
        }
        if (i.OpCount == 0) return 0;
        if (d.A.Kind == OperandKind.Register) return i.GetOpRegister(0).GetSize();
        if (d.A.Kind == OperandKind.Memory) return i.MemorySize.GetSize();
        return 0;
    }
}
