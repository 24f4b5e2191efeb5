using System.Text;

namespace Conformance.Reporting;

/// <summary>Word wrapping for the text and SVG timelines (cells wrap rather than cut).</summary>
public static class TextWrap
{
    /// <summary>Word-wraps text to <paramref name="width"/> columns; a word longer than that is broken.</summary>
    public static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' '))
        {
            var w = word;
            if (line.Length > 0 && line.Length + 1 + w.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            while (w.Length > width)
            {
                if (line.Length > 0) { lines.Add(line.ToString()); line.Clear(); }
                lines.Add(w[..width]);
                w = w[width..];
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(w);
        }
        if (line.Length > 0 || lines.Count == 0) lines.Add(line.ToString());
        return lines;
    }
}
