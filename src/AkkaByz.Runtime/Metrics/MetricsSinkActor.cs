using Akka.Actor;
using Akka.Event;
using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// Collects per-round metrics from the aggregator and test results from the evaluator, joins them by round, and
/// appends rows to <c>metrics.csv</c> in round order (a row due for evaluation waits for its result; the last row
/// waits for the final evaluation, written on <see cref="FlushMetrics"/>; with evaluations on, the evaluation of the
/// starting point is row 0). Each completed row is also handed to an
/// optional progress callback (the CLI's display). Memory stays flat however long the run: rows are streamed to the
/// file, and only a bounded, evenly decimated series (<see cref="MetricsSeries"/>) is kept for the chart and the
/// caller. A run resumed from a checkpoint passes the rows of the rounds before it (<c>history</c>): they are
/// written first (and kept in the series), the evaluation of the restored point is already among them, and the file
/// then continues with the new rounds.
/// Every completed row is also recorded on the "AkkaByz" Meter (<see cref="AkkaByzTelemetry"/>) and published
/// on the <see cref="RunFeed"/> (with <paramref name="run"/> at start), for the exporters and the dashboard.
/// </summary>
public sealed class MetricsSinkActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string? _csvPath;
    private readonly int _evalInterval;
    private readonly Action<MetricsRow>? _onRow;
    private readonly SortedDictionary<long, MetricsRow> _pending = [];
    private readonly Dictionary<long, EvaluationResult> _evaluations = [];
    private readonly MetricsSeries _rows;
    private StreamWriter? _csv;
    private bool _initialSeen;
    private readonly IEnumerable<MetricsRow>? _history;
    private bool _restoredStartSeen;
    private readonly RunDescription? _run;

    /// <param name="csvPath">Where to write metrics.csv; null = keep rows in memory only.</param>
    /// <param name="evalInterval">Rounds that are multiples of this wait for their evaluation (0 = none).</param>
    /// <param name="seriesCapacity">Rows kept in memory before the series is decimated (<see cref="MetricsSeries"/>).</param>
    /// <param name="history">Rows of the rounds before a restored run's first round, in round order (streamed once, at start).</param>
    /// <param name="run">What the run is, published on the <see cref="RunFeed"/> at start (null = nothing published).</param>
    public MetricsSinkActor(string? csvPath, int evalInterval, Action<MetricsRow>? onRow, int seriesCapacity = MetricsSeries.DefaultCapacity,
        IEnumerable<MetricsRow>? history = null, RunDescription? run = null)
    {
        _history = history;
        _run = run;
        _rows = new MetricsSeries(seriesCapacity);
        _csvPath = csvPath;
        _evalInterval = evalInterval;
        _onRow = onRow;
        Receive<RoundMetrics>(m =>
        {
            var row = new MetricsRow(m.Round, m.TrainLoss, double.NaN, double.NaN, m.Received, m.Rejected, m.Suspects, m.AggregationMs, m.RoundMs, m.ElapsedSeconds, m.RefusedTotal, m.Tally)
            {
                SuspectWorkers = m.SuspectWorkers,
                RejectedByReason = m.RejectedByReason,
            };
            if (_evaluations.Remove(m.Round, out var e)) row = row with { TestLoss = e.Loss, TestAccuracy = e.Accuracy };
            _pending[m.Round] = row;
            Drain(final: false);
        });
        Receive<EvaluationResult>(e =>
        {
            if (_history is not null && !_restoredStartSeen)
            {
                // A restored run's first evaluation is of its starting point, whose row is in the history already.
                _restoredStartSeen = true;
                Drain(final: false);
                return;
            }
            if (e.Round == 0 && _rows.Count == 0)
            {
                // The starting point: row 0, written before round 1.
                var start = new MetricsRow(0, double.NaN, e.Loss, e.Accuracy, 0, 0, 0, double.NaN, double.NaN, 0);
                _rows.Add(start);
                _csv?.WriteLine(start.ToCsv());
                Observe(start);
                _initialSeen = true;
                Drain(final: false);
                return;
            }
            if (_pending.TryGetValue(e.Round, out var row))
                _pending[e.Round] = row with { TestLoss = e.Loss, TestAccuracy = e.Accuracy };
            else
                _evaluations[e.Round] = e;
            Drain(final: false);
        });
        Receive<FlushMetrics>(_ =>
        {
            Drain(final: true);
            _csv?.Flush();
            Sender.Tell(new MetricsSnapshot(_rows.Snapshot()));
        });
    }

    public static Props Props(string? csvPath, int evalInterval, Action<MetricsRow>? onRow = null, int seriesCapacity = MetricsSeries.DefaultCapacity,
        IEnumerable<MetricsRow>? history = null, RunDescription? run = null) =>
        Akka.Actor.Props.Create(() => new MetricsSinkActor(csvPath, evalInterval, onRow, seriesCapacity, history, run));

    protected override void PreStart()
    {
        if (_run is not null)
        {
            try { RunFeed.RunStarted(_run); }
            catch (Exception e) { _log.Warning("Run feed listener failed: {0}", e.Message); }
        }
        _initialSeen |= _history is not null;
        if (_csvPath is null)
        {
            foreach (var row in _history ?? []) AddHistory(row);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_csvPath))!);
        if (_history is null)
        {
            _csv = new StreamWriter(_csvPath, append: false) { AutoFlush = false };
            _csv.WriteLine(MetricsRow.CsvHeader);
            return;
        }
        // The history may be read from the very file it replaces: write beside it, then rename over it.
        var temp = _csvPath + ".restoring";
        using (var writer = new StreamWriter(temp, append: false))
        {
            writer.WriteLine(MetricsRow.CsvHeader);
            foreach (var row in _history)
            {
                writer.WriteLine(row.ToCsv());
                AddHistory(row);
            }
        }
        File.Move(temp, _csvPath, overwrite: true);
        _csv = new StreamWriter(_csvPath, append: true) { AutoFlush = false };
    }

    private void AddHistory(MetricsRow row)
    {
        _rows.Add(row);
    }

    protected override void PostStop() => _csv?.Dispose();

    /// <summary>A completed row: on the Meter and the run feed (a failing feed listener is logged, never fatal).</summary>
    private void Observe(MetricsRow row)
    {
        AkkaByzTelemetry.RecordRow(row);
        if (!RunFeed.HasListeners) return;
        try { RunFeed.Row(row); }
        catch (Exception e) { _log.Warning("Run feed listener failed: {0}", e.Message); }
    }

    private void Drain(bool final)
    {
        // With evaluations on, the starting point's row (round 0) comes first: hold rounds until it arrives.
        while (_pending.Count > 0 && (final || _initialSeen || _evalInterval == 0))
        {
            var (round, row) = _pending.First();
            var waitsForEvaluation = _evalInterval > 0 && round % _evalInterval == 0 && !row.Evaluated;
            // Keep the newest row until the end: the final evaluation attaches to it.
            if (!final && (waitsForEvaluation || _pending.Count == 1)) break;
            _pending.Remove(round);
            _rows.Add(row);
            _csv?.WriteLine(row.ToCsv());
            Observe(row);
            try
            {
                _onRow?.Invoke(row);
            }
            catch (Exception e)
            {
                _log.Warning("Progress callback failed: {0}", e.Message);
            }
        }
        if (final)
        {
            // An evaluation of a round never reported (e.g. the start point) becomes its own row.
            foreach (var e in _evaluations.Values.OrderBy(e => e.Round))
            {
                var row = new MetricsRow(e.Round, double.NaN, e.Loss, e.Accuracy, 0, 0, 0, double.NaN, double.NaN, double.NaN);
                _rows.Add(row);
                _csv?.WriteLine(row.ToCsv());
                Observe(row);
            }
            _evaluations.Clear();
        }
        _csv?.Flush();
    }
}

/// <summary>Host → metrics sink (local): write everything still pending and reply with <see cref="MetricsSnapshot"/>.</summary>
public sealed record FlushMetrics : INoSerializationVerificationNeeded
{
    public static readonly FlushMetrics Instance = new();
}

/// <summary>Metrics sink → host (local): the rows kept so far, in round order (all of them up to <see cref="MetricsSeries.DefaultCapacity"/>, then an even decimation that keeps the first, the last and the evaluated rows; metrics.csv has every row).</summary>
public sealed record MetricsSnapshot(IReadOnlyList<MetricsRow> Rows) : INoSerializationVerificationNeeded;
