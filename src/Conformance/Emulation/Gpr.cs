namespace Conformance.Emulation;

/// <summary>The sixteen 64-bit general-purpose registers, numbered as in the ModRM/REX encoding.</summary>
public enum Gpr : byte
{
    Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15,
}
