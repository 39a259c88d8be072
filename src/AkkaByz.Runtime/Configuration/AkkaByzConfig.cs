using System.Reflection;
using Akka.Configuration;

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

    /// <summary>
    /// The full layered configuration. <paramref name="userFile"/> may be null; <paramref name="overrides"/> are
    /// HOCON paths to values (already rendered HOCON values, see <see cref="Quote"/>).
    /// </summary>
    /// <exception cref="SettingsException">The user file is missing or does not parse.</exception>
    public static Config Load(string? userFile = null, IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        var config = Reference;
        if (userFile is not null)
        {
            if (!File.Exists(userFile)) throw new SettingsException($"--config: file '{userFile}' does not exist.");
            Config user;
            var text = ConfigFile.ReadExpanded(userFile);
            try
            {
                user = ConfigurationFactory.ParseString(text);
            }
            catch (Exception e) when (e is not SettingsException)
            {
                throw new SettingsException($"--config: '{userFile}' is not valid HOCON: {e.Message}", e);
            }
            CheckKnownKeys(user, $"--config {userFile}");
            config = user.WithFallback(config);
        }
        if (overrides is not null)
        {
            var text = string.Join("\n", overrides.Select(kv => $"{kv.Key} = {kv.Value}"));
            if (text.Length > 0)
            {
                try
                {
                    config = ConfigurationFactory.ParseString(text).WithFallback(config);
                }
                catch (Exception e)
                {
                    throw new SettingsException($"command-line overrides are not valid: {e.Message}", e);
                }
            }
        }
        return config;
    }

    /// <summary>Refuses keys under <c>akkabyz</c> that the reference does not define (a typo would otherwise be ignored).</summary>
    private static void CheckKnownKeys(Config user, string source)
    {
        if (user.Root?.GetObject() is not { } root || !root.Items.TryGetValue("akkabyz", out var section) || !section.IsObject()) return;
        var reference = Reference.GetConfig("akkabyz");
        foreach (var path in Leaves(section.GetObject(), ""))
            if (!reference.HasPath(path))
                throw new SettingsException($"{source}: unknown key 'akkabyz.{path}' (see the commented keys in hocon/local.conf).");
    }

    private static IEnumerable<string> Leaves(Akka.Configuration.Hocon.HoconObject obj, string prefix)
    {
        foreach (var (key, value) in obj.Items)
        {
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            if (value.IsObject()) foreach (var leaf in Leaves(value.GetObject(), path)) yield return leaf;
            else yield return path;
        }
    }

    /// <summary>Renders <paramref name="value"/> as a quoted HOCON string.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Renders a list of strings as a HOCON array of quoted strings.</summary>
    public static string QuoteList(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Quote)) + "]";
}
