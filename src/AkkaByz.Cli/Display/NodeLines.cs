using System.Text;

namespace AkkaByz.Cli.Display;

/// <summary>
/// The node's console format for lines written outside its logger (the watch flags' "metrics: URL", "dashboard: URL"
/// and their warnings): every line gets the node's <c>[HH:mm:ss.fff]</c> time, and a "warning: text" line becomes
/// <c>[HH:mm:ss.fff] warning CATEGORY: text</c>, as the node's log lines read (<c>NodeLoggerFactory</c>).
/// </summary>
internal sealed class NodeLines(TextWriter inner, string category) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n') Flush(_line.ToString());
            else if (value != '\r') _line.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            _line.Append(value);
            Flush(_line.ToString());
        }
    }

    /// <summary>One line in the node's format (what <see cref="WriteLine(string?)"/> writes).</summary>
    internal static string Format(DateTime utc, string category, string line)
    {
        const string Warning = "warning: ";
        var text = line.StartsWith(Warning, StringComparison.Ordinal) ? $"warning {category}: {line[Warning.Length..]}" : line;
        return $"[{utc:HH:mm:ss.fff}] {text}";
    }

    private void Flush(string line)
    {
        _line.Clear();
        inner.WriteLine(Format(DateTime.UtcNow, category, line));
    }
}
