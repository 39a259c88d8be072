using System.Globalization;
using System.Text;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// Reads a HOCON file and the files it includes (<c>include "cluster.conf"</c> then a few overrides) through Akka's own
/// include callback (<see cref="ConfigurationFactory.ParseString(string, Func{string, HoconRoot})"/>): each
/// <c>include "f"</c> is resolved against the folder of the file that holds it, includes nest, a missing file is named
/// with the including file and line, and a cycle is refused. Each file is checked by <see cref="HoconLint"/> before
/// Akka's parser sees it, so a malformed one fails at once with its own path and line (Akka's parser would accept some
/// mistakes silently and loop on others). Akka's tokenizer knows only the plain form <c>include "f"</c>;
/// <c>required(...)</c>, <c>file(...)</c>, <c>url(...)</c> and <c>classpath(...)</c> are refused with a clear message
/// (every include is a required file here). Worker nodes cannot resolve paths on the aggregator's disk, so
/// <see cref="ReadExpanded(string)"/> renders the loaded configuration as self-contained text
/// (<see cref="Render"/>: every value quoted, since Akka's own <c>ToString</c> leaves <c>3@50</c> or <c>x#y</c> bare).
/// </summary>
public static class ConfigFile
{
    private const int MaxDepth = 16;

    /// <summary>
    /// The file with its includes, parsed by Akka. <paramref name="files"/>, when given, receives every file read (the
    /// file itself first, then its includes in the order the parser reaches them).
    /// </summary>
    /// <exception cref="SettingsException">A file is missing or malformed, an include is unsupported, or includes nest in a cycle.</exception>
    public static Config Load(string path, List<string>? files = null)
    {
        var full = Path.GetFullPath(path);
        return new Config(Parse(full, [], files ?? []));
    }

    /// <summary>The file with its includes as self-contained HOCON text (what a worker node receives).</summary>
    /// <exception cref="SettingsException">As <see cref="Load"/>.</exception>
    public static string ReadExpanded(string path) => Render(Load(path));

    /// <summary>As <see cref="ReadExpanded(string)"/>, also listing every file read (the file itself first, then its includes).</summary>
    public static string ReadExpanded(string path, List<string> files) => Render(Load(path, files));

    private static HoconRoot Parse(string path, List<string> active, List<string> files)
    {
        if (!File.Exists(path)) throw new SettingsException($"config file '{path}' does not exist.");
        if (active.Count > MaxDepth || active.Contains(path, StringComparer.Ordinal))
            throw new SettingsException($"config file '{path}' includes itself (directly or through other files: {string.Join(" -> ", active.Append(path))}).");
        files.Add(path);
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
        CheckIncludeForms(path, text);

        active.Add(path);
        HoconRoot Include(string target)
        {
            var included = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(path)!, target));
            if (!File.Exists(included))
                throw new SettingsException($"{path}:{IncludeLine(text, target)}: included file '{target}' does not exist (looked for {included}).");
            var root = Parse(included, active, files);
            // The included file's substitutions are resolved within it already; Akka would re-resolve them under a
            // path prefixed with "." at the top level (and fail), so they are not handed back.
            return new HoconRoot(root.Value, Enumerable.Empty<HoconSubstitution>());
        }
        try
        {
            return Parser.Parse(text, Include);
        }
        catch (Exception e) when (e is not SettingsException)
        {
            throw new SettingsException($"{path}: not valid HOCON: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        finally
        {
            active.RemoveAt(active.Count - 1);
        }
    }

    /// <summary>The line of <paramref name="text"/> that includes <paramref name="target"/> (for messages).</summary>
    private static int IncludeLine(string text, string target)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var at = lines[i].IndexOf("include", StringComparison.Ordinal);
            if (at >= 0 && lines[i].IndexOf('"' + target + '"', at, StringComparison.Ordinal) > at) return i + 1;
        }
        return 1;
    }

    /// <summary>
    /// Refuses the include forms Akka's tokenizer does not know (it would turn <c>include required("f")</c> into a key
    /// named <c>include required(</c>): <c>include</c> followed by anything but a quoted file name.
    /// </summary>
    private static void CheckIncludeForms(string path, string text)
    {
        var n = 0;
        foreach (var line in text.Split('\n'))
        {
            n++;
            var trimmed = line.TrimStart().TrimStart('{').TrimStart();
            if (!trimmed.StartsWith("include", StringComparison.Ordinal) || trimmed.Length == 7 || !char.IsWhiteSpace(trimmed[7])) continue;
            if (trimmed[7..].TrimStart().StartsWith('"')) continue;
            throw new SettingsException($"{path}:{n}: unsupported include '{trimmed.Trim()}' (write include \"file.conf\", the path relative to this file; " +
                                        "every include is a required file, and required(...), file(...), url(...) and classpath(...) are not supported).");
        }
    }

    /// <summary>
    /// <paramref name="config"/> as HOCON text that parses back to the same tree: keys and values quoted and escaped
    /// (Akka keeps every value as text, so quoting loses nothing), substitutions already resolved.
    /// </summary>
    public static string Render(Config config)
    {
        var output = new StringBuilder();
        if (config.Root is { } root && root.IsObject())
            foreach (var (key, value) in root.GetObject().Items)
            {
                output.Append(QuoteText(key)).Append(value.IsObject() ? " " : " = ");
                RenderValue(value, output, 0);
                output.Append('\n');
            }
        return output.ToString();
    }

    private static void RenderValue(HoconValue value, StringBuilder output, int depth)
    {
        if (depth > 64) throw new SettingsException("configuration nests deeper than 64 levels (or a substitution refers to itself).");
        if (value.IsObject())
        {
            output.Append("{\n");
            foreach (var (key, child) in value.GetObject().Items)
            {
                output.Append(' ', 2 * (depth + 1)).Append(QuoteText(key)).Append(child.IsObject() ? " " : " = ");
                RenderValue(child, output, depth + 1);
                output.Append('\n');
            }
            output.Append(' ', 2 * depth).Append('}');
        }
        else if (value.IsArray())
        {
            output.Append('[');
            var first = true;
            foreach (var item in value.GetArray())
            {
                if (!first) output.Append(", ");
                first = false;
                RenderValue(item, output, depth + 1);
            }
            output.Append(']');
        }
        else
        {
            output.Append(value.GetString() is { } text ? QuoteText(text) : "null");
        }
    }

    /// <summary><paramref name="text"/> as a quoted HOCON string with the escapes Akka's tokenizer reads.</summary>
    private static string QuoteText(string text)
    {
        var output = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else output.Append(c);
                    break;
            }
        }
        return output.Append('"').ToString();
    }

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
}
