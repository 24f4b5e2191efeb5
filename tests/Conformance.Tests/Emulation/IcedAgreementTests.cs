using Conformance.Checking;
using Conformance.Emulation;
using Conformance.Generators;
using Conformance.Tests.Support;
using FsCheck.Fluent;
using Iced.Intel;

namespace Conformance.Tests.Emulation;

/// <summary>
/// Iced is the authority: for generated instances of every supported instruction, the emulator's
/// length, next RIP, register, memory, stack and flag effects stay within what Iced says.
/// </summary>
public class IcedAgreementTests
{
    private static IReadOnlyList<string> Problems(InstructionSample s) =>
        InstructionSampleBuilder.TryBuild(s, out var error) is { } built
            ? IcedAgreement.Check(built)
            : new[] { $"does not encode: {error}" };

    [Fact]
    public void The_subset_covers_every_family_of_the_brief()
    {
        var mnemonics = InstructionSet.SupportedCodes.Select(c => c.Mnemonic()).ToHashSet();
        foreach (var m in new[] { Mnemonic.Call, Mnemonic.Jmp, Mnemonic.Ret, Mnemonic.Push, Mnemonic.Pop, Mnemonic.Mov,
                     Mnemonic.Add, Mnemonic.Sub, Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Cmp, Mnemonic.Test, Mnemonic.And,
                     Mnemonic.Or, Mnemonic.Xor, Mnemonic.Je, Mnemonic.Jne, Mnemonic.Xadd, Mnemonic.Cmpxchg, Mnemonic.Nop,
                     Mnemonic.Int3, Mnemonic.Iretq, Mnemonic.Cli, Mnemonic.Sti, Mnemonic.Pushfq, Mnemonic.Popfq,
                     Mnemonic.Pause, Mnemonic.Cpuid, Mnemonic.Lfence, Mnemonic.Mfence, Mnemonic.Hlt })
            Assert.Contains(m, mnemonics);
        Assert.DoesNotContain(Code.Jmp_rel16, InstructionSet.SupportedCodes);
        Assert.DoesNotContain(Code.Int_imm8, InstructionSet.SupportedCodes);
    }

    /// <summary>The suite's arbitrary for FsCheck's [Property] (found by type, as a user's PatchCases are).</summary>
    public static class InstructionSamples
    {
        public static FsCheck.Arbitrary<InstructionSample> Any() => InstructionSampleGen.Any;
    }

    // FsCheck.Xunit.v3's own [Property], at the suite's fixed seed (Replay): the same 3,000 cases every run.
    [FsCheck.Xunit.Property(Arbitrary = [typeof(InstructionSamples)], MaxTest = 3000, QuietOnSuccess = true,
        Replay = "20261121,11400714819323198485")]
    public FsCheck.Property Random_instances_of_the_whole_subset_agree_with_Iced(InstructionSample s)
    {
        var found = Problems(s);
        return (found.Count == 0).Label(string.Join("; ", found));
    }

    /// <summary>Every code gets its own cases, so no rarely drawn form goes unchecked.</summary>
    [Fact]
    public void Every_supported_code_agrees_with_Iced()
    {
        var failures = new List<string>();
        foreach (var code in InstructionSet.SupportedCodes)
        {
            var outcome = PropertyRunner.Run($"iced-agreement {code}", InstructionSampleGen.Of(code), Problems,
                PropertySettings.FromEnvironment(12) with { EndSize = 20 });
            if (!outcome.Passed) failures.Add(outcome.Report);
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures));
    }

    /// <summary>The check must be able to fail: feed it an emulator that runs different bytes than Iced describes.</summary>
    [Theory]
    [InlineData(Code.Mov_r64_rm64, "48 89 d9", "wrote Rcx")]           // emulator runs mov rcx,rbx; Iced describes mov rax,rbx
    [InlineData(Code.Add_rm64_r64, "48 01 d9", "wrote Rcx")]           // add rcx,rbx instead of add rax,rbx
    [InlineData(Code.Push_r64, "41 50", "length")]                       // push r8: another length and register
    public void The_check_catches_an_emulator_that_disagrees(Code code, string wrongBytes, string expectedFragment)
    {
        var sample = new InstructionSample(code, code switch
        {
            Code.Push_r64 => new[] { new SampleOperand(SampleOperandKind.Register) { Register = Register.RBX } },
            _ => new[] { new SampleOperand(SampleOperandKind.Register) { Register = Register.RAX },
                         new SampleOperand(SampleOperandKind.Register) { Register = Register.RBX } },
        }, Enumerable.Range(1, 16).Select(i => (ulong)i * 0x1111).ToArray(), 0, 0, 7, false, false);
        var built = InstructionSampleBuilder.TryBuild(sample, out var error);
        Assert.NotNull(built);
        var wrong = built! with { Bytes = Convert.FromHexString(wrongBytes.Replace(" ", "")) };
        var problems = IcedAgreement.Check(wrong);
        Assert.NotEmpty(problems);
        Assert.Contains(problems, p => p.Contains(expectedFragment, StringComparison.Ordinal));
    }
}
