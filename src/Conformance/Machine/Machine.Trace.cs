using System.Runtime.CompilerServices;

namespace Conformance.Machine;

public sealed partial class Machine
{
    /// <summary>Adds a trace line built from an interpolated string, which is not even formatted when no trace is recorded.</summary>
    private void Log(int cpu, [InterpolatedStringHandlerArgument("")] ref TraceText what)
    {
        if (_trace is not null) Log(cpu, what.ToStringAndClear());
    }

    /// <summary>
    /// Formats a trace line only when the machine records a trace: most runs (every generated case
    /// but the shrunk one) record none, and formatting their lines was a good part of a step's cost.
    /// </summary>
    [InterpolatedStringHandler]
    private ref struct TraceText
    {
        private DefaultInterpolatedStringHandler _inner;

        public TraceText(int literalLength, int formattedCount, Machine machine, out bool enabled)
        {
            enabled = machine._trace is not null;
            _inner = enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public void AppendLiteral(string value) => _inner.AppendLiteral(value);
        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);
        public void AppendFormatted<T>(T value, int alignment) => _inner.AppendFormatted(value, alignment);
        public string ToStringAndClear() => _inner.ToStringAndClear();
    }
}
