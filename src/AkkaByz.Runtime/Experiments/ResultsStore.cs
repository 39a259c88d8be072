using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// The output folder of an experiment: <c>cells/&lt;id&gt;/</c> per cell (the run's metrics.csv and summary.json, and
/// <c>result.json</c>, written atomically last: its presence marks the cell finished), <c>results.csv</c>,
/// <c>summary.md</c> and <c>figures/*.png</c>.
/// </summary>
public sealed class ResultsStore(string directory)
{
    public const string ResultFile = "result.json";

    public string Directory { get; } = Path.GetFullPath(directory);
    public string CellsDirectory => Path.Combine(Directory, "cells");
    public string ResultsCsv => Path.Combine(Directory, "results.csv");
    public string SummaryMarkdown => Path.Combine(Directory, "summary.md");
    public string FiguresDirectory => Path.Combine(Directory, "figures");

    public string CellDirectory(string id) => Path.Combine(CellsDirectory, id);

    /// <summary>The stored result of a cell if it finished with the same settings (fingerprint); otherwise null.</summary>
    public CellResult? TryLoad(GridCell cell)
    {
        var r = TryLoad(cell.Id);
        return r is not null && r.Fingerprint == cell.Fingerprint ? r : null;
    }

    /// <summary>The stored result under an id, or null (missing or unreadable: the cell is run again).</summary>
    public CellResult? TryLoad(string id)
    {
        var path = Path.Combine(CellDirectory(id), ResultFile);
        if (!File.Exists(path)) return null;
        try { return CellResult.FromJson(File.ReadAllText(path)); }
        catch (JsonException) { return null; }
    }

    /// <summary>Ids of every cell folder holding a result (finished cells of any grid run into this folder).</summary>
    public IReadOnlyList<string> StoredIds() =>
        System.IO.Directory.Exists(CellsDirectory)
            ? System.IO.Directory.GetDirectories(CellsDirectory).Where(d => File.Exists(Path.Combine(d, ResultFile))).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    public void Save(CellResult result)
    {
        var dir = CellDirectory(result.Id);
        System.IO.Directory.CreateDirectory(dir);
        result.WriteAtomically(Path.Combine(dir, ResultFile));
    }

    /// <summary>
    /// results.csv: one row per cell, axis columns first (the grid's axes, then the key settings), then the figures:
    /// suspect_precision and suspect_recall (the suspects against the true Byzantine slots, empty when undefined) and
    /// worst_case_accuracy, ByzFL's criterion: the lowest final accuracy over the attacks (not <c>none</c>) of the cells
    /// that share this cell's aggregator, optimizer, learning rate, seed and other axes.
    /// </summary>
    public void WriteResultsCsv(IReadOnlyList<GridAxis> axes, IReadOnlyList<CellResult> results)
    {
        var inv = CultureInfo.InvariantCulture;
        var extraAxes = axes.Select(a => a.Name).Where(n => GridSpec.KnownAxes.All(k => k.Name != n)).ToList();
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', new[] { "id", "attack", "aggregator", "optimizer", "lr", "seed" }.Concat(extraAxes)
            .Concat(["model", "data", "workers", "byzantine", "batch_size", "completed", "rounds", "final_accuracy", "best_accuracy",
                "final_loss", "wall_seconds", "rejected", "suspects", "suspect_precision", "suspect_recall", "worst_case_accuracy"])));
        var worst = results.Where(r => !ExperimentAnalysis.IsHonestOnly(r.Attack))
            .GroupBy(r => (ExperimentAnalysis.Label(r), r.Optimizer, r.LearningRate, r.Seed))
            .ToDictionary(g => g.Key, g => g.Min(r => r.FinalAccuracy));
        static string P(double v) => double.IsNaN(v) ? "" : v.ToString("0.0000", CultureInfo.InvariantCulture);
        foreach (var r in results)
        {
            var fields = new List<string> { r.Id, r.Attack, r.Aggregator, r.Optimizer, r.LearningRate.ToString("R", inv), r.Seed.ToString(inv) };
            fields.AddRange(extraAxes.Select(a => r.Axis(a) ?? ""));
            fields.AddRange([r.Model, r.Data, r.Workers.ToString(inv), r.Byzantine.ToString(inv), r.BatchSize.ToString(inv),
                r.Completed ? "true" : "false", r.Rounds.ToString(inv), r.FinalAccuracy.ToString("0.0000", inv),
                r.BestAccuracy.ToString("0.0000", inv), r.FinalLoss.ToString("G6", inv), r.WallSeconds.ToString("0.00", inv),
                r.Rejected.ToString(inv), r.Suspects.ToString(inv), P(r.SuspectPrecision), P(r.SuspectRecall),
                worst.TryGetValue((ExperimentAnalysis.Label(r), r.Optimizer, r.LearningRate, r.Seed), out var w) ? P(w) : ""]);
            sb.AppendLine(string.Join(',', fields.Select(Csv)));
        }
        WriteAtomically(ResultsCsv, sb.ToString());
    }

    /// <summary>Quotes a CSV field when it holds a comma, quote or newline (aggregator specs such as bucketing(s=2,cwtm) do).</summary>
    public static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Writes text through a temporary file and a rename.</summary>
    public static void WriteAtomically(string path, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
