using Akka.Configuration;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// The one reader of a run's settings, used by <c>akkabyz train</c>, <c>akkabyz node</c> (the aggregator reads its
/// file and flags with it; worker nodes read the layers it sends them) and every cell of <c>akkabyz experiment</c>:
/// a run's configuration is a list of HOCON texts, <see cref="Layers"/>, in order of increasing priority, over the
/// embedded reference.conf — the configuration file with its includes expanded (self-contained text, so it can be
/// sent to other machines and stored in a checkpoint), then overrides (command-line flags, a grid cell's axis values)
/// rendered as <c>key = value</c> lines. The same keys are read with the same checks and the same error messages
/// wherever a run starts (<see cref="AkkaByzSettings.Create"/>).
/// </summary>
public sealed class RunConfiguration
{
    private RunConfiguration(IReadOnlyList<string> layers, Config config)
    {
        Layers = layers;
        Config = config;
    }

    /// <summary>The layers' texts, lowest priority first (reference.conf is below them all and not included).</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>reference.conf ← the layers.</summary>
    public Config Config { get; }

    /// <summary>Reads and validates the run's settings.</summary>
    /// <exception cref="SettingsException">A key is missing, malformed or inconsistent; the message names it.</exception>
    public AkkaByzSettings Settings() => AkkaByzSettings.Create(Config);

    /// <summary>As <see cref="Settings()"/>, with this node's own data path (<c>--data</c> on a worker node) on top of the layers.</summary>
    public AkkaByzSettings Settings(string? localDataSource) =>
        localDataSource is null ? Settings() : AkkaByzSettings.Create(WithDataSource(Config, localDataSource));

    /// <summary>
    /// A run configured by <paramref name="file"/> (may be null) and <paramref name="overrides"/> (HOCON paths to already
    /// rendered values, see <see cref="AkkaByzConfig.Quote"/>). <paramref name="extraSections"/>: further top-level
    /// blocks the file may hold (a grid file's <c>experiment</c>).
    /// </summary>
    /// <exception cref="SettingsException">
    /// The file is missing or malformed (the message names the file and line), holds an unknown block or key, or sets
    /// <c>akka.actor.provider</c>; or an override is not valid HOCON.
    /// </exception>
    public static RunConfiguration Load(string? file, IEnumerable<KeyValuePair<string, string>>? overrides = null,
        IReadOnlyCollection<string>? extraSections = null)
    {
        var run = Empty;
        if (file is not null)
        {
            var (text, config) = AkkaByzConfig.LoadFile(file, extraSections ?? []);
            run = new RunConfiguration([text], config.WithFallback(AkkaByzConfig.Reference));
        }
        return overrides is null ? run : run.With(overrides);
    }

    /// <summary>The reference configuration alone (no layers).</summary>
    public static RunConfiguration Empty { get; } = new([], AkkaByzConfig.Reference);

    /// <summary>
    /// A run from layers written by <see cref="Load"/> elsewhere (received from the aggregator, or stored in a
    /// checkpoint); each is checked by <see cref="HoconLint"/> before Akka's parser sees it.
    /// </summary>
    /// <exception cref="SettingsException">A layer is not valid HOCON (the message names the layer and line).</exception>
    public static RunConfiguration FromLayers(IReadOnlyList<string> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var config = AkkaByzConfig.Reference;
        for (var i = 0; i < layers.Count; i++)
        {
            // The same structural check as a file's: Akka's parser accepts some broken texts and loops on others.
            if (HoconLint.Check(layers[i]) is { } problem)
                throw new SettingsException($"run configuration layer {i + 1} of {layers.Count} is not valid HOCON: line {problem.Line}: {problem.Problem}.");
            try
            {
                config = ConfigurationFactory.ParseString(layers[i]).WithFallback(config);
            }
            catch (Exception e) when (e is not SettingsException)
            {
                throw new SettingsException($"run configuration layer {i + 1} of {layers.Count} is not valid HOCON: {e.Message.ReplaceLineEndings(" ")}", e);
            }
        }
        return new RunConfiguration([.. layers], config);
    }

    /// <summary>
    /// This run with <paramref name="overrides"/> on top, as one more layer of <c>key = value</c> lines (none added when
    /// there are no overrides).
    /// </summary>
    /// <exception cref="SettingsException">The overrides are not valid HOCON (the message quotes the line).</exception>
    public RunConfiguration With(IEnumerable<KeyValuePair<string, string>> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var text = Render(overrides);
        if (text.Length == 0) return this;
        if (HoconLint.Check(text) is { } problem)
            throw new SettingsException($"command-line overrides are not valid: {problem.Problem} ({text.Split('\n')[problem.Line - 1]}).");
        Config layer;
        try
        {
            layer = ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new SettingsException($"command-line overrides are not valid: {e.Message}", e);
        }
        return new RunConfiguration([.. Layers, text], layer.WithFallback(Config));
    }

    /// <summary>Overrides as a layer's text: one <c>key = value</c> line each, in order.</summary>
    public static string Render(IEnumerable<KeyValuePair<string, string>> overrides) =>
        string.Join("\n", overrides.Select(kv => $"{kv.Key} = {kv.Value}"));

    /// <summary><paramref name="config"/> with <c>akkabyz.data.source</c> set to <paramref name="localDataSource"/>.</summary>
    public static Config WithDataSource(Config config, string localDataSource) =>
        ConfigurationFactory.ParseString($"akkabyz.data.source = {AkkaByzConfig.Quote(localDataSource)}").WithFallback(config);
}
