namespace Conformance.Machine;

/// <summary>Thrown by a writer's step source to stop it with a message that already names the step and the cause.</summary>
public class WriterStopException(string message) : Exception(message);

/// <summary>
/// One scheduling point of a host-side writer (a patcher's steps run on the patching CPU).
/// Each is one machine step of that CPU.
/// </summary>
public abstract record WriterStep
{
    private WriterStep() { }

    /// <summary>Store bytes (the width is the length): one event when at most 8 bytes inside one line, else byte events.</summary>
    public sealed record Store(ulong Address, byte[] Bytes) : WriterStep
    {
        public override string ToString() => $"store{Bytes.Length * 8} 0x{Address:x} <- {Convert.ToHexString(Bytes).ToLowerInvariant()}";
    }

    /// <summary>
    /// An interlocked compare-and-exchange (<c>lock cmpxchg</c>): if the <see cref="Expected"/>.Length
    /// bytes at <see cref="Address"/> equal <see cref="Expected"/>, store <see cref="New"/>, as one
    /// event; else store nothing. 1, 2, 4 or 8 bytes inside one 64-byte line (a split lock is not
    /// modelled). The machine fills <see cref="Succeeded"/> and <see cref="Observed"/> when it runs
    /// the step; the patcher reads them when it is asked for its next step.
    /// </summary>
    public sealed record CompareExchange(ulong Address, byte[] Expected, byte[] New) : WriterStep
    {
        /// <summary>Whether the exchange happened; null until the step ran.</summary>
        public bool? Succeeded { get; internal set; }

        /// <summary>The bytes the step read (the old value, as <c>cmpxchg</c> leaves it in rax); null until it ran.</summary>
        public byte[]? Observed { get; internal set; }

        public override string ToString() =>
            $"cmpxchg{New.Length * 8} 0x{Address:x}: {Convert.ToHexString(Expected).ToLowerInvariant()} -> {Convert.ToHexString(New).ToLowerInvariant()}";
    }

    /// <summary><c>sync_core</c> on every CPU and wait for every acknowledgement (<c>on_each_cpu(do_sync_core, NULL, 1)</c>).</summary>
    public sealed record SyncCore : WriterStep
    {
        public override string ToString() => "sync_core all cpus, wait";
    }

    /// <summary>Does nothing for one step (lets a scenario place a store later).</summary>
    public sealed record Pause : WriterStep
    {
        public override string ToString() => "pause";
    }

    /// <summary>Take a lock shared by the writers (Linux's <c>text_mutex</c>); waits while another writer holds it.</summary>
    public sealed record Acquire(string Lock) : WriterStep
    {
        public override string ToString() => $"lock {Lock}";
    }

    /// <summary>Release a lock this writer holds.</summary>
    public sealed record Release(string Lock) : WriterStep
    {
        public override string ToString() => $"unlock {Lock}";
    }

    /// <summary>Wait until a condition holds (a flag, a count reaching zero), checked once per step.</summary>
    public sealed record WaitUntil(string What, Func<bool> Condition) : WriterStep
    {
        public override string ToString() => $"wait until {What}";
    }
}
