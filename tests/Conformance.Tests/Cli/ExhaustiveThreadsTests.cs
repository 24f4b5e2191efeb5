using System.Text.RegularExpressions;

namespace Conformance.Tests.Cli;

/// <summary>
/// <c>check --exhaustive --threads N</c> explores cells on N threads and prints them in their order:
/// the JSON and the output (less each cell's seconds) are those of one thread, counterexamples and
/// tokens included (spec/performance.md, "Exhaustive exploration on both cores").
/// </summary>
public class ExhaustiveThreadsTests
{
    private static readonly Regex Seconds = new(@"; \d+(\.\d+)? s\)", RegexOptions.CultureInvariant);

    [Fact]
    public void Two_threads_give_the_output_and_json_of_one()
    {
        string one = Path.GetTempFileName(), two = Path.GetTempFileName();
        try
        {
            string[] Args(int threads, string json) =>
                ["check", "--exhaustive", "--patcher", "naive-text-poke", "--patcher", "text-poke-bp", "--patcher", "text-poke-bp-pre2019",
                 "--model", "atomic", "--model", "block16", "--irqs", "on", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json", json];
            var a = Support.CliProcess.Run(Args(1, one));
            var b = Support.CliProcess.Run(Args(2, two));
            Assert.Equal(a.Exit, b.Exit);
            Assert.Equal(File.ReadAllText(one), File.ReadAllText(two));
            Assert.Equal(Seconds.Replace(a.Out, ""), Seconds.Replace(b.Out, ""));
            // Not vacuous: counterexamples (with their tokens) and a verified cell are in it.
            Assert.Contains("replay cx2:naive-text-poke:", a.Out);
            Assert.Contains("text-poke-bp / block16: verified", a.Out);
        }
        finally { File.Delete(one); File.Delete(two); }
    }

    [Fact]
    public void One_patcher_on_two_threads_explores_its_models_apart_and_gives_the_output_and_json_of_one()
    {
        // One piece and two threads: the piece's models are explored on both (ExhaustiveCheck.RunRows).
        string one = Path.GetTempFileName(), two = Path.GetTempFileName();
        try
        {
            string[] Args(int threads, string json) =>
                ["check", "--exhaustive", "--patcher", "text-poke-bp-pre2019", "--model", "atomic", "--model", "block64", "--model", "block16",
                 "--irqs", "on", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json", json];
            var a = Support.CliProcess.Run(Args(1, one));
            var b = Support.CliProcess.Run(Args(2, two));
            Assert.Equal(a.Exit, b.Exit);
            Assert.Equal(File.ReadAllText(one), File.ReadAllText(two));
            Assert.Equal(Seconds.Replace(a.Out, ""), Seconds.Replace(b.Out, ""));
            Assert.Contains("replay cx2:text-poke-bp-pre2019:block16:", a.Out);   // not vacuous: every model's cell is there, in order
            Assert.True(a.Out.IndexOf("text-poke-bp-pre2019 / atomic", StringComparison.Ordinal) < a.Out.IndexOf("text-poke-bp-pre2019 / block16", StringComparison.Ordinal));
        }
        finally { File.Delete(one); File.Delete(two); }
    }

    [Fact]
    public void A_bad_thread_count_is_a_usage_error()
    {
        var (exit, _, error) = Support.CliProcess.Run("check", "--exhaustive", "--patcher", "text-poke-bp", "--threads", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--threads 0", error);
    }
}
