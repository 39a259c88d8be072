using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// One axis of an experiment grid: a name (<c>attack</c>, <c>aggregator</c>, <c>optimizer</c>, <c>lr</c>,
/// <c>seed</c>, or any key under <c>akkabyz</c> such as <c>batch-size</c> or <c>data.partition</c>), the settings key
/// it overrides, and its values as written in the grid file.
/// </summary>
public sealed record GridAxis(string Name, string Key, IReadOnlyList<string> Values);

/// <summary>
/// A parsed grid file (<c>hocon/experiments/*.conf</c>): the base settings — the file's own <c>akkabyz { }</c>
/// section over the reference configuration, exactly as <c>akkabyz train --config</c> reads it — and the
/// <c>experiment { }</c> section: the axes whose Cartesian product are the cells, optional <c>extra</c> sub-grids
/// that override some axes (their cells are added, duplicates dropped), and run options.
/// </summary>
public sealed record GridSpec(
    string Name,
    string? SourceFile,
    RunConfiguration Run,
    IReadOnlyList<GridAxis> Axes,
    IReadOnlyList<IReadOnlyList<GridAxis>> Extras,
    int ThreadsPerCell,
    bool CellCharts)
{
    /// <summary>The base configuration: the grid file over the reference (<see cref="Run"/>'s, which every cell's values override).</summary>
    public Config BaseConfig => Run.Config;

    /// <summary>Axis short names and the keys they stand for; any other axis name is read as <c>akkabyz.NAME</c>.</summary>
    public static readonly IReadOnlyList<(string Name, string Key)> KnownAxes =
    [
        ("attack", "akkabyz.attack"),
        ("aggregator", "akkabyz.aggregator"),
        ("optimizer", "akkabyz.optimizer.name"),
        ("lr", "akkabyz.optimizer.lr"),
        ("seed", "akkabyz.seed"),
    ];

    private static readonly HashSet<string> ExperimentKeys = ["name", "axes", "extra", "threads-per-cell", "cell-charts"];

    /// <summary>Reads a grid file.</summary>
    /// <exception cref="SettingsException">The file is missing, not HOCON, or a key is wrong; the message names it.</exception>
    public static GridSpec Load(string path)
    {
        if (!File.Exists(path)) throw new SettingsException($"grid file '{path}' does not exist.");
        var run = RunConfiguration.Load(path, extraSections: ["experiment"]); // validates the akkabyz section's keys, names typos
        return FromConfig(run, Path.GetFileNameWithoutExtension(path), path);
    }

    /// <summary>Parses grid text (tests); <paramref name="name"/> is the default experiment name.</summary>
    public static GridSpec Parse(string hocon, string name = "grid")
    {
        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-grid-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name + ".conf");
        try
        {
            File.WriteAllText(file, hocon);
            return Load(file) with { SourceFile = null };
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static GridSpec FromConfig(RunConfiguration run, string defaultName, string source)
    {
        var config = run.Config;
        if (!config.HasPath("experiment"))
            throw new SettingsException($"{source}: no 'experiment' section; a grid needs experiment.axes (see hocon/experiments/smoke.conf).");
        var root = config.GetValue("experiment");
        if (!root.IsObject()) throw new SettingsException("experiment: must be an object with axes { ... }.");
        foreach (var key in root.GetObject().Items.Keys)
            if (!ExperimentKeys.Contains(key))
                throw new SettingsException($"experiment.{key}: unknown key; expected one of {string.Join(", ", ExperimentKeys)}.");

        var name = config.HasPath("experiment.name") ? config.GetString("experiment.name") : defaultName;
        if (!config.HasPath("experiment.axes") || !config.GetValue("experiment.axes").IsObject())
            throw new SettingsException("experiment.axes: missing; list at least one axis, e.g. axes { attack = [sf, alie] }.");
        var axes = ReadAxes(config.GetValue("experiment.axes").GetObject(), "experiment.axes");
        if (axes.Count == 0) throw new SettingsException("experiment.axes: empty; list at least one axis, e.g. attack = [sf, alie].");

        var extras = new List<IReadOnlyList<GridAxis>>();
        if (config.HasPath("experiment.extra"))
        {
            var value = config.GetValue("experiment.extra");
            if (!value.IsArray()) throw new SettingsException("experiment.extra: must be a list of objects, e.g. [ { lr = [0.01, 1.0] } ].");
            var index = 0;
            foreach (var item in value.GetArray())
            {
                var where = $"experiment.extra[{index++}]";
                if (!item.IsObject()) throw new SettingsException($"{where}: must be an object of axes, e.g. {{ lr = [0.01, 1.0] }}.");
                // An extra sub-grid replaces the main axes it names and may add settings of its own (e.g. workers = [9],
                // byzantine = [0] for an honest-only reference); only its cells carry those values in their id and label.
                var overrides = ReadAxes(item.GetObject(), where);
                extras.Add(overrides);
            }
        }

        var threads = 1;
        if (config.HasPath("experiment.threads-per-cell"))
        {
            threads = ReadInt(config, "experiment.threads-per-cell");
            if (threads < 1) throw new SettingsException($"experiment.threads-per-cell: must be at least 1, got {threads}.");
        }
        var charts = false;
        if (config.HasPath("experiment.cell-charts"))
        {
            try { charts = config.GetBoolean("experiment.cell-charts"); }
            catch (Exception e) { throw new SettingsException($"experiment.cell-charts: must be on or off ({e.Message}).", e); }
        }
        return new GridSpec(name, source, run, axes, extras, threads, charts);
    }

    private static int ReadInt(Config config, string key)
    {
        try { return config.GetInt(key); }
        catch (Exception e) { throw new SettingsException($"{key}: '{config.GetString(key)}' is not an integer ({e.Message}).", e); }
    }

    private static List<GridAxis> ReadAxes(HoconObject obj, string where)
    {
        var axes = new List<GridAxis>();
        foreach (var (name, value) in Flatten(obj, ""))
        {
            var key = KeyOf(name, $"{where}.{name}");
            // (Akka's HOCON does not report an empty [] as an array, so one message covers both.)
            if (!value.IsArray())
                throw new SettingsException($"{where}.{name}: must be a non-empty list of values, e.g. {name} = [a, b] (got '{Describe(value)}').");
            var values = new List<string>();
            foreach (var item in value.GetArray())
            {
                if (!item.IsString())
                    throw new SettingsException($"{where}.{name}: every value must be a string or number (got an object or list).");
                var text = item.GetString().Trim();
                if (text.Length == 0) throw new SettingsException($"{where}.{name}: empty value.");
                values.Add(text);
            }
            if (values.Count == 0) throw new SettingsException($"{where}.{name}: empty list; give at least one value.");
            var dup = values.GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new SettingsException($"{where}.{name}: value '{dup.Key}' is listed twice.");
            axes.Add(new GridAxis(name, key, values));
        }
        // Canonical order: the known axes first (attack, aggregator, optimizer, lr, seed), then the others as written.
        return axes.OrderBy(a => KnownIndex(a.Name)).ToList();
    }

    /// <summary>Axis entries with nested objects flattened: <c>optimizer.beta = [..]</c> (an object in HOCON) → "optimizer.beta".</summary>
    private static IEnumerable<(string Name, HoconValue Value)> Flatten(HoconObject obj, string prefix)
    {
        foreach (var (name, value) in obj.Items)
        {
            var path = prefix.Length == 0 ? name : prefix + "." + name;
            if (value.IsObject()) foreach (var inner in Flatten(value.GetObject(), path)) yield return inner;
            else yield return (path, value);
        }
    }

    private static int KnownIndex(string name)
    {
        for (var i = 0; i < KnownAxes.Count; i++) if (KnownAxes[i].Name == name) return i;
        return KnownAxes.Count;
    }

    private static string Describe(HoconValue value)
    {
        try { return value.GetString(); } catch { return value.ToString(); }
    }

    /// <summary>The settings key an axis name stands for.</summary>
    /// <exception cref="SettingsException">Neither a known short name nor a key under <c>akkabyz</c>.</exception>
    public static string KeyOf(string name, string where)
    {
        foreach (var (n, k) in KnownAxes) if (n == name) return k;
        var key = name.StartsWith("akkabyz.", StringComparison.Ordinal) ? name : "akkabyz." + name;
        var reference = AkkaByzConfig.Reference;
        if (!reference.HasPath(key) || reference.GetValue(key).IsObject())
            throw new SettingsException(
                $"{where}: unknown axis '{name}'; expected attack, aggregator, optimizer, lr, seed or a setting under akkabyz (e.g. batch-size, model, data.partition, optimizer.beta).");
        return key;
    }

    /// <summary>Formats a number the way axis values are written (invariant culture).</summary>
    internal static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
