using System.Diagnostics;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;

namespace AkkaByz.Runtime.Experiments;

/// <summary>How <see cref="ExperimentRunner"/> runs a grid.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Cells run at once (each in its own local actor system; all share the process's bounded compute scheduler).</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Skip cells whose result is stored with the same settings; false = refuse a folder that holds results.</summary>
    public bool Resume { get; init; }

    /// <summary>With <see cref="Resume"/>: also run again the cells whose stored run stopped early (e.g. a timing fault under load).</summary>
    public bool RerunStopped { get; init; }

    /// <summary>Called for every event (start, skip, finish, failure), from the cells' threads.</summary>
    public Action<ExperimentEvent>? OnEvent { get; init; }

    /// <summary>Akka log level of each cell's actor system.</summary>
    public string LogLevel { get; init; } = "ERROR";

    /// <summary>Each cell's Akka log through Microsoft.Extensions.Logging into this factory; null = Akka's own lines.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Logging { get; init; }

    /// <summary>Default parallelism: cores / threads per cell, at least 1.</summary>
    public static int DefaultParallel(int threadsPerCell) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, threadsPerCell));
}

/// <summary>What happened to a cell.</summary>
public enum ExperimentEventKind { Skipped, Started, Finished, Failed }

/// <summary>A progress event: the cell, its result (finished) or error (failed), counts, elapsed time and ETA.</summary>
public sealed record ExperimentEvent(
    ExperimentEventKind Kind, GridCell Cell, CellResult? Result, string? Error, int Done, int Total, TimeSpan Elapsed, TimeSpan? Eta);

/// <summary>The outcome of <see cref="ExperimentRunner.RunAsync"/>: every available result in grid order, and the failures.</summary>
public sealed record ExperimentOutcome(IReadOnlyList<CellResult> Results, IReadOnlyList<(GridCell Cell, string Error)> Failures, int Ran, int Skipped, TimeSpan Elapsed);

/// <summary>
/// Runs a grid's cells with <see cref="LocalTraining"/> (the actor runtime), several at once, each into
/// <c>cells/&lt;id&gt;/</c>; a finished cell's result is written atomically, so an interrupted grid resumes where it
/// stopped. A failing cell is reported and left unfinished (a rerun tries it again); the others go on.
/// </summary>
public static class ExperimentRunner
{
    /// <exception cref="SettingsException">The folder holds results and <see cref="ExperimentOptions.Resume"/> is off.</exception>
    public static async Task<ExperimentOutcome> RunAsync(IReadOnlyList<GridCell> cells, ResultsStore store, bool cellCharts,
        ExperimentOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Parallel, 1);
        var clock = Stopwatch.StartNew();
        if (!options.Resume && store.StoredIds().Count > 0)
            throw new SettingsException(
                $"--out {store.Directory} already holds {store.StoredIds().Count} finished cell(s); pass --resume to continue that experiment, or choose another --out.");

        var results = new CellResult?[cells.Count];
        var pending = new List<int>();
        for (var i = 0; i < cells.Count; i++)
        {
            results[i] = options.Resume ? store.TryLoad(cells[i]) : null;
            if (results[i] is { Completed: false } && options.RerunStopped) results[i] = null;
            if (results[i] is null) pending.Add(i);
        }
        var skipped = cells.Count - pending.Count;
        var done = skipped;
        foreach (var i in Enumerable.Range(0, cells.Count).Where(i => results[i] is not null))
            options.OnEvent?.Invoke(new ExperimentEvent(ExperimentEventKind.Skipped, cells[i], results[i], null, done, cells.Count, clock.Elapsed, null));

        var eta = new EtaEstimator(pending.Count, options.Parallel);
        var failures = new List<(GridCell, string)>();
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = options.Parallel, CancellationToken = cancellation },
            async (i, ct) =>
            {
                var cell = cells[i];
                options.OnEvent?.Invoke(new ExperimentEvent(ExperimentEventKind.Started, cell, null, null, Volatile.Read(ref done), cells.Count, clock.Elapsed, eta.Remainder));
                var watch = Stopwatch.StartNew();
                try
                {
                    var result = await RunCellAsync(cell, store, cellCharts, options.LogLevel, ct, options.Logging).ConfigureAwait(false);
                    store.Save(result);
                    results[i] = result;
                    eta.Finished(watch.Elapsed);
                    var n = Interlocked.Increment(ref done);
                    options.OnEvent?.Invoke(new ExperimentEvent(ExperimentEventKind.Finished, cell, result, null, n, cells.Count, clock.Elapsed, eta.Remainder));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    eta.Finished(watch.Elapsed);
                    lock (failures) failures.Add((cell, e.Message));
                    try
                    {
                        Directory.CreateDirectory(store.CellDirectory(cell.Id));
                        File.WriteAllText(Path.Combine(store.CellDirectory(cell.Id), "error.txt"), e.ToString());
                    }
                    catch (IOException) { }
                    options.OnEvent?.Invoke(new ExperimentEvent(ExperimentEventKind.Failed, cell, null, e.Message, Volatile.Read(ref done), cells.Count, clock.Elapsed, eta.Remainder));
                }
            }).ConfigureAwait(false);

        return new ExperimentOutcome(results.OfType<CellResult>().ToList(), failures, pending.Count, skipped, clock.Elapsed);
    }

    /// <summary>Runs one cell with the actor runtime into its folder and summarises it.</summary>
    public static async Task<CellResult> RunCellAsync(GridCell cell, ResultsStore store, bool chart, string logLevel, CancellationToken cancellation,
        Microsoft.Extensions.Logging.ILoggerFactory? logging = null)
    {
        var dir = store.CellDirectory(cell.Id);
        if (Directory.Exists(dir)) Directory.Delete(dir, true); // leftovers of an interrupted attempt
        Directory.CreateDirectory(dir);
        var settings = cell.Settings with { Output = new OutputSettings(dir, chart) };
        var watch = Stopwatch.StartNew();
        var run = await LocalTraining.RunAsync(settings, new LocalTrainingOptions { OutputDirectory = dir, LogLevel = logLevel, Logging = logging }, cancellation).ConfigureAwait(false);
        // Ctrl-C ends a local run early but still returns it; an interrupted cell is not a result (--resume reruns it).
        cancellation.ThrowIfCancellationRequested();
        var wall = watch.Elapsed.TotalSeconds;
        var curve = run.Rows.Where(r => r.Evaluated).OrderBy(r => r.Round)
            .Select(r => new CurvePoint(r.Round, r.TestAccuracy, r.TestLoss)).ToList();
        if (curve.Count == 0 || curve[^1].Round != run.Rounds) curve.Add(new CurvePoint(run.Rounds, run.Final.Accuracy, run.Final.Loss));
        var s = cell.Settings;
        var tally = run.Rows.LastOrDefault(r => r.Tally is not null)?.Tally; // cumulative: the last row holds the run's totals
        return new CellResult
        {
            Id = cell.Id,
            Fingerprint = cell.Fingerprint,
            Values = cell.Values.Select(v => new AxisValue(v.Key, v.Value)).ToList(),
            Attack = s.Attack,
            Aggregator = s.Aggregator,
            Optimizer = s.Optimizer.Name,
            LearningRate = s.Optimizer.LearningRate,
            Seed = s.Seed,
            Model = s.Model,
            Data = s.Data.Source.ToString(),
            Workers = s.Workers,
            Byzantine = s.Byzantine,
            BatchSize = s.BatchSize,
            Completed = run.Run.Completed,
            Reason = run.Run.Reason,
            Rounds = run.Rounds,
            FinalAccuracy = run.Final.Accuracy,
            BestAccuracy = Math.Max(run.Final.Accuracy, curve.Count == 0 ? 0 : curve.Max(p => p.Accuracy)),
            FinalLoss = run.Final.Loss,
            WallSeconds = wall,
            Rejected = run.RejectedTotal,
            Suspects = run.Run.Suspects,
            SuspectPrecision = tally?.Precision ?? double.NaN,
            SuspectRecall = tally?.Recall ?? double.NaN,
            Curve = curve,
            FinishedUtc = DateTime.UtcNow,
        };
    }
}
