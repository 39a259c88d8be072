using System.Text;
using System.Text.RegularExpressions;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// Reads a HOCON file with its <c>include</c> statements expanded in place, so one file can build on another
/// (<c>include "cluster.conf"</c> then a few overrides). Paths are relative to the including file. The result is
/// self-contained text: the aggregator sends it to worker nodes, which cannot resolve paths on its disk. Supported:
/// <c>include "f"</c>, <c>include file("f")</c>, <c>include required("f")</c>, <c>include required(file("f"))</c>,
/// one per line; <c>url(...)</c> and <c>classpath(...)</c> are refused with a clear message. Each file is checked by
/// <see cref="HoconLint"/> first, so a malformed one fails at once with its path and line (Akka's parser would
/// accept some mistakes silently and loop on others).
/// </summary>
public static partial class ConfigFile
{
    private const int MaxDepth = 16;

    /// <exception cref="SettingsException">A file is missing or malformed, an include is unsupported, or includes nest in a cycle.</exception>
    public static string ReadExpanded(string path) => Expand(Path.GetFullPath(path), [], 0, null);

    /// <summary>As <see cref="ReadExpanded(string)"/>, also listing every file read (the file itself first, then its includes in order).</summary>
    public static string ReadExpanded(string path, List<string> files) => Expand(Path.GetFullPath(path), [], 0, files);

    /// <summary>
    /// Where <paramref name="key"/> (a full HOCON path such as <c>akkabyz.barrier.quorum</c>) is probably set among
    /// <paramref name="files"/>: the last line that assigns it, by its full path or by its last segment (it may sit in a
    /// block); null when no line does. For messages only: the configuration itself is read by Akka.
    /// </summary>
    public static (string File, int Line)? FindKey(IReadOnlyList<string> files, string key)
    {
        var segments = key.Split('.');
        var candidates = Enumerable.Range(0, segments.Length).Select(i => string.Join('.', segments[i..])).ToArray();
        (string, int)? found = null;
        foreach (var file in files)
        {
            if (!File.Exists(file)) continue;
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                foreach (var candidate in candidates)
                {
                    var at = line.IndexOf(candidate, StringComparison.Ordinal);
                    if (at < 0 || (at > 0 && !(char.IsWhiteSpace(line[at - 1]) || line[at - 1] is '{' or ',' or '"' or '.'))) continue;
                    var rest = line.AsSpan(at + candidate.Length).TrimStart('"').TrimStart();
                    if (rest.Length > 0 && rest[0] is '=' or ':' or '{' or '+' or '.' || (rest.Length == 0 && candidate == candidates[^1]))
                    {
                        found = (file, n);
                        break;
                    }
                }
            }
        }
        return found;
    }

    private static string Expand(string path, HashSet<string> active, int depth, List<string>? files)
    {
        if (!File.Exists(path)) throw new SettingsException($"config file '{path}' does not exist.");
        if (depth > MaxDepth || !active.Add(path))
            throw new SettingsException($"config file '{path}' includes itself (directly or through other files).");
        files?.Add(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"config file '{path}' cannot be read: {e.Message}", e);
        }
        if (HoconLint.Check(text) is { } problem)
            throw new SettingsException($"{path}:{problem.Line}: {problem.Problem}.");
        var output = new StringBuilder();
        var lineNumber = 0;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
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
            output.Append(Expand(full, active, depth + 1, files));
            output.AppendLine($"# ---- end of {target} ----");
        }
        active.Remove(path);
        return output.ToString();
    }

    [GeneratedRegex("""^\s*include\s+(?:required\(\s*)?(?:file\(\s*)?"(?<path>[^"]+)"\s*(?:\)\s*)?(?:\)\s*)?(?:#.*|//.*)?$""")]
    private static partial Regex IncludeLine();
}
