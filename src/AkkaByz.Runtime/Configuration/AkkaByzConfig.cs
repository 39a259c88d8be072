using System.Reflection;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// Loads the layered HOCON configuration: the embedded <c>reference.conf</c> ← an optional user file
/// (<c>--config FILE</c>) ← overrides (command-line flags rendered as HOCON).
/// </summary>
public static class AkkaByzConfig
{
    /// <summary>The embedded, commented reference configuration (also binds the wire serializer).</summary>
    public static Config Reference { get; } = LoadReference();

    private static Config LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AkkaByz.Runtime.reference.conf")
            ?? throw new InvalidOperationException("AkkaByz.Runtime.reference.conf is not embedded in AkkaByz.Runtime.dll.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The embedded cluster defaults (<c>akkabyz-cluster</c>, <c>akkabyz-transport</c>, <c>akka</c>): which node keys exist.</summary>
    private static Config ClusterReference { get; } = LoadResource("AkkaByz.Runtime.cluster-reference.conf");

    private static Config LoadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in AkkaByz.Runtime.dll.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>
    /// The blocks a configuration file may hold: <c>akkabyz</c> (the run) and, for <c>akkabyz node</c>, <c>akka</c>,
    /// <c>akkabyz-cluster</c> and <c>akkabyz-transport</c> (<c>akkabyz train</c> reads only <c>akkabyz</c>, so a node's
    /// file also runs locally). Anything else is a typo (<c>akkabz { }</c>) and is refused rather than ignored.
    /// </summary>
    public static IReadOnlyList<string> Sections { get; } =
        TopLevel(Reference).Concat(TopLevel(ClusterReference)).Distinct(StringComparer.Ordinal).ToArray();

    private static IEnumerable<string> TopLevel(Config c) => c.Root?.GetObject()?.Items.Keys ?? Enumerable.Empty<string>();

    /// <summary>
    /// The full layered configuration: reference.conf ← <paramref name="userFile"/> (may be null) ← <paramref name="overrides"/>
    /// (HOCON paths to already rendered values, see <see cref="Quote"/>); <paramref name="extraSections"/> are further
    /// top-level blocks the file may hold (a grid file's <c>experiment</c>). The same as <see cref="RunConfiguration.Load"/>'s.
    /// </summary>
    /// <exception cref="SettingsException">
    /// The user file is missing or malformed (the message names the file and line), holds an unknown block or key, or
    /// sets <c>akka.actor.provider</c>.
    /// </exception>
    public static Config Load(string? userFile = null, IEnumerable<KeyValuePair<string, string>>? overrides = null,
        IReadOnlyCollection<string>? extraSections = null) =>
        RunConfiguration.Load(userFile, overrides, extraSections).Config;

    /// <summary>
    /// Reads a configuration file: the file and its includes loaded through Akka's include callback (<see cref="ConfigFile.Load"/>),
    /// after checking its blocks and keys (<see cref="CheckKeys"/>); the text is that configuration rendered self-contained (<see cref="ConfigFile.Render"/>).
    /// </summary>
    /// <exception cref="SettingsException">As <see cref="Load"/>.</exception>
    internal static (string Text, Config Config) LoadFile(string userFile, IReadOnlyCollection<string> extraSections)
    {
        if (Directory.Exists(userFile)) throw new SettingsException($"--config: '{userFile}' is a folder, not a file.");
        if (!File.Exists(userFile)) throw new SettingsException($"--config: file '{userFile}' does not exist.");
        var files = new List<string>();
        var user = Parse(() => ConfigFile.Load(userFile, files), Path.GetFullPath(userFile));
        CheckKeys(user, files, extraSections);
        return (ConfigFile.Render(user), user);
    }

    /// <summary>How long Akka's parser may take over a file that passed <see cref="HoconLint"/> (a backstop: it loops on some inputs).</summary>
    private static readonly TimeSpan ParseBudget = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Akka's parser on a background thread, given <see cref="ParseBudget"/>: <see cref="HoconLint"/> refuses every input
    /// known to make it loop, and should another one exist the user gets an error instead of a process that hangs
    /// (the runaway parse is abandoned; the CLI exits right after the error).
    /// </summary>
    private static Config Parse(Func<Config> load, string file)
    {
        var parse = Task.Factory.StartNew(load, CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!((IAsyncResult)parse).AsyncWaitHandle.WaitOne(ParseBudget))
            throw new SettingsException($"{file}: Akka's HOCON parser did not finish within {ParseBudget.TotalSeconds:0} s; check the file's brackets, quotes and separators.");
        if (parse.Exception?.InnerException is SettingsException settings) throw settings;
        if (parse.Exception?.InnerException is { } e)
            throw new SettingsException($"{file}: not valid HOCON: {e.Message.ReplaceLineEndings(" ")}", e);
        return parse.Result;
    }

    /// <summary>
    /// Refuses what a typo would otherwise make silently ignored: an unknown top-level block, a key under
    /// <c>akkabyz</c>, <c>akkabyz-cluster</c> or <c>akkabyz-transport</c> that the references do not define, a key
    /// without a value, and <c>akka.actor.provider</c> (AkkaByz chooses it: local for train, cluster for nodes).
    /// </summary>
    private static void CheckKeys(Config user, IReadOnlyList<string> files, IReadOnlyCollection<string> extraSections)
    {
        if (user.Root?.GetObject() is not { } root) return;
        string Where(string key) => ConfigFile.FindKey(files, key) is { } at ? $"{at.File}:{at.Line}" : files[0];

        var sections = Sections.Concat(extraSections).ToArray();
        foreach (var (name, value) in root.Items)
        {
            if (!sections.Contains(name, StringComparer.Ordinal))
                throw new SettingsException($"{Where(name)}: unknown top-level key '{name}'{Suggestions.DidYouMean(name, sections)}; " +
                                            $"a file holds {string.Join(", ", sections.Select(s => s + " { }"))}.");
            foreach (var (path, leaf) in Leaves(value, name))
            {
                if (leaf.Values.Count == 0)
                    throw new SettingsException($"{Where(path)}: '{path}' has no value (write {path.Split('.')[^1]} = VALUE).");
            }
        }

        foreach (var (section, reference) in new[] { ("akkabyz", Reference), ("akkabyz-cluster", ClusterReference), ("akkabyz-transport", ClusterReference) })
        {
            if (!root.Items.TryGetValue(section, out var value) || !value.IsObject()) continue;
            var known = Leaves(reference.GetValue(section), section).Select(l => l.Path).ToArray();
            foreach (var (path, _) in Leaves(value, section))
                if (!reference.HasPath(path))
                    throw new SettingsException($"{Where(path)}: unknown key '{path}'{Suggestions.DidYouMean(path, known)} (see the commented keys in " +
                                                $"{(section == "akkabyz" ? "hocon/local.conf" : "hocon/cluster.conf")}).");
        }

        // train ignores akka.* (its actor system is always local); a node needs the cluster provider.
        if (user.HasPath("akka.actor.provider") && user.GetString("akka.actor.provider") is var provider &&
            !provider.Equals("cluster", StringComparison.OrdinalIgnoreCase) && !provider.StartsWith("Akka.Cluster.ClusterActorRefProvider", StringComparison.Ordinal))
            throw new SettingsException($"{Where("akka.actor.provider")}: akka.actor.provider = {provider} is not supported: AkkaByz nodes run the cluster provider and train always runs locally; remove the line.");
    }

    private static IEnumerable<(string Path, HoconValue Value)> Leaves(HoconValue value, string path)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
                foreach (var leaf in Leaves(child, path + "." + key))
                    yield return leaf;
        }
        else
        {
            yield return (path, value);
        }
    }

    /// <summary>Renders <paramref name="value"/> as a quoted HOCON string.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Renders a list of strings as a HOCON array of quoted strings.</summary>
    public static string QuoteList(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Quote)) + "]";
}
