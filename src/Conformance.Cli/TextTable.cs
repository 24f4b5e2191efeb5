using System.Text;

namespace Conformance.Cli;

/// <summary>A Markdown table with padded columns (the first left-aligned, the rest right-aligned): readable in a terminal and pasteable as it is.</summary>
public sealed class TextTable(params string[] header)
{
    private readonly List<string[]> _rows = new();

    public void Add(params string[] cells)
    {
        if (cells.Length != header.Length) throw new ArgumentException($"a row of {cells.Length} cells in a table of {header.Length} columns");
        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = header.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            text.Append("| ").AppendJoin(" | ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).Append(" |\n");
        Line(header);
        text.Append("| ").AppendJoin(" | ", widths.Select((w, i) => i == 0 ? new string('-', w) : new string('-', w - 1) + ":")).Append(" |\n");
        foreach (var row in _rows) Line(row);
        return text.ToString();
    }
}
