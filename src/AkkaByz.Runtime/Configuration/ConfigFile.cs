using System.Text;
using System.Text.RegularExpressions;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// Reads a HOCON file with its <c>include</c> statements expanded in place, so one file can build on another
/// (<c>include "cluster.conf"</c> then a few overrides). Paths are relative to the including file. The result is
/// self-contained text: the aggregator sends it to worker nodes, which cannot resolve paths on its disk. Supported:
/// <c>include "f"</c>, <c>include file("f")</c>, <c>include required("f")</c>, <c>include required(file("f"))</c>,
/// one per line; <c>url(...)</c> and <c>classpath(...)</c> are refused with a clear message.
/// </summary>
public static partial class ConfigFile
{
    private const int MaxDepth = 16;

    /// <exception cref="SettingsException">A file is missing, an include is unsupported, or includes nest in a cycle.</exception>
    public static string ReadExpanded(string path) => Expand(Path.GetFullPath(path), [], 0);

    private static string Expand(string path, HashSet<string> active, int depth)
    {
        if (!File.Exists(path)) throw new SettingsException($"config file '{path}' does not exist.");
        if (depth > MaxDepth || !active.Add(path))
            throw new SettingsException($"config file '{path}' includes itself (directly or through other files).");
        var output = new StringBuilder();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            var trimmed = line.TrimStart();
            if (!trimmed.StartsWith("include", StringComparison.Ordinal) || trimmed.Length == 7 || !char.IsWhiteSpace(trimmed[7]))
            {
                output.AppendLine(line);
                continue;
            }
            var match = IncludeLine().Match(line);
            if (!match.Success)
                throw new SettingsException($"{path}:{lineNumber}: unsupported include '{trimmed.Trim()}' (use include \"file.conf\", paths relative to this file; url(...) and classpath(...) are not supported).");
            var target = match.Groups["path"].Value;
            var full = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(path)!, target));
            if (!File.Exists(full))
                throw new SettingsException($"{path}:{lineNumber}: included file '{target}' does not exist (looked for {full}).");
            output.AppendLine($"# ---- included from {target} ----");
            output.Append(Expand(full, active, depth + 1));
            output.AppendLine($"# ---- end of {target} ----");
        }
        active.Remove(path);
        return output.ToString();
    }

    [GeneratedRegex("""^\s*include\s+(?:required\(\s*)?(?:file\(\s*)?"(?<path>[^"]+)"\s*(?:\)\s*)?(?:\)\s*)?(?:#.*|//.*)?$""")]
    private static partial Regex IncludeLine();
}
