using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using AkkaByz.Core.Models;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Metrics;
using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// The output folder of a run (<c>--out DIR</c>, <c>akkabyz.output.dir</c>). A new or empty folder is used as is. A
/// folder that holds an earlier AkkaByz run — only files a run writes, at least one of metrics.csv and summary.json —
/// is reused: those files are deleted first, so nothing stale (an old chart.png) is left beside the new run. A cluster
/// run's folder also holds <c>checkpoints/</c> (its checkpoint) and <c>logs/</c> (the sample script's node logs): the
/// checkpoint of a completed run is deleted with the rest, but a folder whose checkpoint is of an interrupted run is
/// refused (continue it with <c>akkabyz node --resume DIR</c>, or choose another folder), and so is one whose checkpoint
/// cannot be read. Any other non-empty folder, and a path that is a file, are refused: a typo in --out must not
/// overwrite or mix into unrelated files.
/// <para>
/// The end of a run is written here too, for local runs and cluster runs alike (<see cref="CollectAsync"/>, then
/// <see cref="Write"/>): summary.json, parameters.bin, chart.png and trimming.png; metrics.csv is written row by row
/// by the run's metrics sink at <see cref="MetricsPath"/>.
/// </para>
/// </summary>
public static class RunOutput
{
    /// <summary>Every file a local or cluster run writes into its folder.</summary>
    public static readonly IReadOnlyList<string> RunFiles = [MetricsFile, SummaryFile, ChartFile, "trimming.png", ParametersFile, "cluster.json"];

    /// <summary>The files of a run's outputs (cluster runs add cluster.json, written by the aggregator node).</summary>
    public const string MetricsFile = "metrics.csv", SummaryFile = "summary.json", ParametersFile = "parameters.bin", ChartFile = "chart.png";

    /// <summary>Where a run's metrics sink writes metrics.csv in <paramref name="directory"/>.</summary>
    public static string MetricsPath(string directory) => Path.Combine(directory, MetricsFile);

    /// <summary>
    /// The end of a run: evaluates its final point (<paramref name="evaluator"/>) and flushes its metrics sink
    /// (<paramref name="metrics"/>: metrics.csv complete, the rows kept in memory returned).
    /// </summary>
    public static async Task<TrainingResult> CollectAsync(IActorRef evaluator, IActorRef metrics, RunCompleted run, string? directory, double setupSeconds)
    {
        var final = await evaluator.Ask<EvaluationResult>(new EvaluateRequest(run.Rounds, run.FinalParameters), TimeSpan.FromMinutes(10), CancellationToken.None).ConfigureAwait(false);
        var snapshot = await metrics.Ask<MetricsSnapshot>(FlushMetrics.Instance, TimeSpan.FromMinutes(1), CancellationToken.None).ConfigureAwait(false);
        return new TrainingResult(run, new Evaluation(final.Loss, final.Accuracy), snapshot.Rows, directory, setupSeconds);
    }

    /// <summary>
    /// Writes the end-of-run files into <paramref name="directory"/>: summary.json (with <paramref name="summaryExtras"/>'
    /// fields added, e.g. a cluster run's worker slots), chart.png and trimming.png (when <c>akkabyz.output.chart</c> is
    /// on) and parameters.bin (the final parameters, the same file for local and cluster runs, so that the two can be
    /// compared bit for bit).
    /// </summary>
    public static void Write(string directory, AkkaByzSettings settings, long rounds, TrainingResult result, Action<JsonObject>? summaryExtras = null)
    {
        var summary = Path.Combine(directory, SummaryFile);
        RunReport.WriteSummary(summary, settings, rounds, result);
        if (summaryExtras is not null)
        {
            var root = JsonNode.Parse(File.ReadAllText(summary))!.AsObject();
            summaryExtras(root);
            File.WriteAllText(summary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        if (settings.Output.Chart) TrainingChart.Write(Path.Combine(directory, ChartFile), result.Rows, settings);
        ParameterFile.Write(Path.Combine(directory, ParametersFile), result.Run.FinalParameters);
    }

    /// <summary>The folder of a cluster run's checkpoint inside its output folder.</summary>
    public const string CheckpointFolder = "checkpoints";

    /// <summary>A folder of node logs beside the outputs (samples/cluster-localhost.sh): never deleted or refused.</summary>
    public const string LogsFolder = "logs";

    /// <summary>
    /// A cluster run's checkpoint database (checkpoint-store = sqlite): part of a run folder, never deleted here (the
    /// aggregator's snapshot store may have it open; a new run clears its snapshots through the store).
    /// </summary>
    public const string CheckpointDatabaseFile = Checkpointing.CheckpointDatabase.SqliteFileName;

    /// <summary>Folders a run writes besides its files.</summary>
    public static readonly IReadOnlyList<string> RunFolders = [CheckpointFolder];

    /// <summary>Creates or clears <paramref name="directory"/> for a new run.</summary>
    /// <exception cref="SettingsException">The path is a file, or a non-empty folder that is not an AkkaByz run.</exception>
    public static void Prepare(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        const string key = "akkabyz.output.dir (--out)";
        if (File.Exists(directory))
            throw new SettingsException($"{key}: '{directory}' is a file, not a folder; choose a new or empty folder.");
        if (!Directory.Exists(directory))
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SettingsException($"{key}: cannot create '{directory}': {e.Message}", e);
            }
            return;
        }
        // The logs folder (the sample script starts the nodes with their logs there) is kept as it is.
        var entries = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>()
            .Where(e => !(e == LogsFolder && Directory.Exists(Path.Combine(directory, e))))
            .Where(e => !e.StartsWith(CheckpointDatabaseFile, StringComparison.Ordinal) || !File.Exists(Path.Combine(directory, e))).ToArray(); // checkpoints.db and its -journal/-wal
        var database = Path.Combine(directory, CheckpointDatabaseFile);
        if (File.Exists(database))
        {
            Checkpointing.Checkpoint? inDb;
            try
            {
                inDb = Checkpointing.CheckpointDatabase.Sqlite(database, "aggregator").TryReadLatest();
            }
            catch (Exception e) when (e is InvalidDataException or SettingsException)
            {
                throw new SettingsException($"{key}: '{directory}' holds a checkpoint database that cannot be read ({e.Message}); choose another folder, or delete it.", e);
            }
            if (inDb is { Completed: false } && inDb.Round < inDb.TotalRounds)
                throw new SettingsException($"{key}: '{directory}' holds an interrupted cluster run (checkpoint of round {inDb.Round} of {inDb.TotalRounds}): " +
                                            $"continue it with `akkabyz node --role aggregator --resume {directory} ...`, or choose another folder.");
        }
        if (entries.Length == 0) return;
        var foreign = entries.Where(e => !RunFiles.Contains(e, StringComparer.Ordinal) && !(RunFolders.Contains(e, StringComparer.Ordinal) && Directory.Exists(Path.Combine(directory, e)))).ToArray();
        var checkpoints = Path.Combine(directory, CheckpointFolder);
        var hasCheckpoint = File.Exists(Path.Combine(checkpoints, Checkpointing.CheckpointStore.FileName));
        var isRun = foreign.Length == 0 && (entries.Contains("metrics.csv") || entries.Contains("summary.json") || hasCheckpoint ||
                                            entries.All(e => RunFolders.Contains(e, StringComparer.Ordinal))); // e.g. the checkpoint folder, made before the run starts
        if (!isRun)
            throw new SettingsException($"{key}: '{directory}' is not empty and not an AkkaByz run folder (it holds " +
                                        $"{string.Join(", ", (foreign.Length > 0 ? foreign : entries).Take(3).Select(e => $"'{e}'"))}" +
                                        $"{(entries.Length > 3 ? ", ..." : "")}); choose a new or empty folder.");
        if (hasCheckpoint)
        {
            Checkpointing.Checkpoint? old;
            try
            {
                old = new Checkpointing.CheckpointStore(checkpoints).TryLoad();
            }
            catch (InvalidDataException e)
            {
                throw new SettingsException($"{key}: '{directory}' holds a checkpoint that cannot be read ({e.Message}); choose another folder, or delete it.", e);
            }
            if (old is { Completed: false } && old.Round < old.TotalRounds)
                throw new SettingsException($"{key}: '{directory}' holds an interrupted cluster run (checkpoint of round {old.Round} of {old.TotalRounds}): " +
                                            $"continue it with `akkabyz node --role aggregator --resume {directory} ...`, or choose another folder.");
        }
        try
        {
            foreach (var file in entries.Where(e => RunFiles.Contains(e, StringComparer.Ordinal))) File.Delete(Path.Combine(directory, file));
            if (Directory.Exists(checkpoints))
            {
                foreach (var file in Directory.EnumerateFiles(checkpoints)) File.Delete(file);
                if (!Directory.EnumerateFileSystemEntries(checkpoints).Any()) Directory.Delete(checkpoints);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"{key}: cannot clear the earlier run in '{directory}': {e.Message}", e);
        }
    }
}
