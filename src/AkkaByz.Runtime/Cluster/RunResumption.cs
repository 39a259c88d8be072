using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Continuing a run from its checkpoint (a standby taking over, or <c>--resume DIR</c>). The run's stored config is
/// the run's: every <c>akkabyz.*</c> key the resuming node sets itself (its --config file and run flags) must have
/// the run's value, or the node refuses with one line naming the key. Two kinds of key are the node's own and may
/// differ: <c>akkabyz.output.*</c> (--out: where this node writes the outputs) and <c>akkabyz.data.source</c>
/// (--data: where this node reads its copy of the data; the model's d is still checked against the checkpoint).
/// </summary>
public static class RunResumption
{
    private static readonly string[] OwnKeys = ["akkabyz.output", "akkabyz.data.source"];

    /// <summary>Where <c>--resume DIR</c> finds the checkpoint: DIR/aggregator.ckpt, else DIR/checkpoints/aggregator.ckpt (a run's output folder).</summary>
    public static string CheckpointFolderOf(string resume)
    {
        var full = Path.GetFullPath(resume);
        return File.Exists(Path.Combine(full, CheckpointStore.FileName)) ? full : Path.Combine(full, ClusterNodeSettings.RunCheckpointFolder);
    }

    /// <summary>
    /// Before joining (<c>--resume</c>): the checkpoint exists, is readable, is of an interrupted run, and this node's
    /// own settings agree with the run's.
    /// </summary>
    /// <exception cref="SettingsException">Any of these fails; the message names the file or the key.</exception>
    public static Checkpoint CheckBeforeJoining(ClusterNodeSettings node, IReadOnlyList<string> ownLayers)
    {
        if (!node.CheckpointsEnabled)
            throw new SettingsException("--resume: akkabyz-cluster.checkpoint-dir = off; resuming needs checkpoints.");
        var target = CheckpointTarget.Of(node, null)!;
        Checkpoint? checkpoint;
        try
        {
            checkpoint = target.ReadNow();
        }
        catch (InvalidDataException e)
        {
            throw new SettingsException($"--resume {node.Resume}: {e.Message}", e);
        }
        if (checkpoint is null)
            throw new SettingsException($"--resume {node.Resume}: no checkpoint there ({target.Location} has none); give the output folder of an interrupted cluster run.");
        if (checkpoint.Completed || checkpoint.Round >= checkpoint.TotalRounds)
            throw new SettingsException($"--resume {node.Resume}: that run is complete ({checkpoint.Round} of {checkpoint.TotalRounds} rounds); nothing to resume. Start a new run without --resume.");
        CheckSettings(ownLayers, checkpoint.ConfigLayers, target.Location);
        return checkpoint;
    }

    /// <summary>Refuses, naming the first key, when a key this node sets differs from the run's stored config.</summary>
    /// <exception cref="SettingsException">A key differs.</exception>
    public static void CheckSettings(IReadOnlyList<string> ownLayers, IReadOnlyList<string> runLayers, string checkpointFile)
    {
        if (ownLayers.SequenceEqual(runLayers, StringComparer.Ordinal)) return;
        // The node's own keys: its layers as one document (later keys win, as in the layering).
        var own = ConfigurationFactory.ParseString(string.Join("\n", ownLayers));
        var run = ClusterConfig.RunConfig(runLayers, null);
        var ownEffective = ClusterConfig.RunConfig(ownLayers, null);
        foreach (var path in Leaves(own.Root, "").Where(p => p.StartsWith("akkabyz.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (OwnKeys.Any(k => path == k || path.StartsWith(k + ".", StringComparison.Ordinal))) continue;
            if (Same(ownEffective, run, path)) continue;
            var mine = Render(ownEffective, path);
            var theirs = run.HasPath(path) ? Render(run, path) : "(not set)";
            throw new SettingsException($"{path} = {mine} here, but the run being resumed has {theirs} (checkpoint {checkpointFile}): a resumed run keeps its own " +
                                        "settings; drop the setting or give it the run's value (only akkabyz.output.* and akkabyz.data.source may differ).");
        }
    }

    private static IEnumerable<string> Leaves(HoconValue value, string prefix)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
                foreach (var leaf in Leaves(child, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                    yield return leaf;
        }
        else if (prefix.Length > 0)
        {
            yield return prefix;
        }
    }

    private static string Render(Config config, string path)
    {
        try { return config.GetValue(path)?.ToString() ?? "(not set)"; }
        catch (Exception e) when (e is not OutOfMemoryException) { return "(unreadable)"; }
    }

    private static bool Same(Config a, Config b, string path)
    {
        if (!b.HasPath(path)) return false;
        if (Render(a, path) == Render(b, path)) return true;
        static bool Try<T>(Func<T> x, Func<T> y)
        {
            try { return EqualityComparer<T>.Default.Equals(x(), y()); }
            catch (Exception e) when (e is not OutOfMemoryException) { return false; }
        }
        var (x, y) = (a.GetValue(path), b.GetValue(path));
        if (x is null || y is null || x.IsObject() || y.IsObject()) return false;
        if (x.IsArray() || y.IsArray())
            return x.IsArray() && y.IsArray() && Try(() => string.Join("\u0001", a.GetStringList(path)), () => string.Join("\u0001", b.GetStringList(path)));
        return Try(() => a.GetDouble(path), () => b.GetDouble(path))
            || Try(() => a.GetTimeSpan(path, null, false), () => b.GetTimeSpan(path, null, false))
            || Try(() => a.GetBoolean(path), () => b.GetBoolean(path));
    }

    /// <summary>
    /// The rows of <paramref name="csv"/> (a run's metrics.csv) for rounds 0..<paramref name="throughRound"/>, in
    /// round order, each round once (a torn last line, rows of later rounds — re-run after the checkpoint — and
    /// repeats are left out). Streams the file: memory stays flat however long the run was.
    /// </summary>
    public static IEnumerable<MetricsRow> History(string csv, long throughRound)
    {
        if (!File.Exists(csv)) yield break;
        using var reader = new StreamReader(csv);
        var header = reader.ReadLine();
        if (header is null || !header.StartsWith("round,", StringComparison.Ordinal)) yield break;
        long last = -1;
        while (reader.ReadLine() is { } line)
        {
            if (TryParse(line) is not { } row || row.Round <= last || row.Round > throughRound) continue;
            last = row.Round;
            yield return row;
        }
    }

    private static MetricsRow? TryParse(string line)
    {
        var c = line.Split(',');
        if (c.Length is not (10 or 11)) return null;
        var inv = CultureInfo.InvariantCulture;
        static bool D(string s, out double v)
        {
            if (s.Length == 0) { v = double.NaN; return true; }
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);
        }
        if (!long.TryParse(c[0], NumberStyles.Integer, inv, out var round) || round < 0) return null;
        if (!D(c[1], out var trainLoss) || !D(c[2], out var testLoss) || !D(c[3], out var accuracy)) return null;
        if (!int.TryParse(c[4], NumberStyles.Integer, inv, out var received) || !int.TryParse(c[5], NumberStyles.Integer, inv, out var rejected) ||
            !int.TryParse(c[6], NumberStyles.Integer, inv, out var suspects)) return null;
        if (!D(c[7], out var aggregationMs) || !D(c[8], out var roundMs) || !D(c[9], out var elapsed)) return null;
        long refused = 0;
        if (c.Length == 11 && !long.TryParse(c[10], NumberStyles.Integer, inv, out refused)) return null;
        return new MetricsRow(round, trainLoss, testLoss, accuracy, received, rejected, suspects, aggregationMs, roundMs, elapsed, refused);
    }
}
