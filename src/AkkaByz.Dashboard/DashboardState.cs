using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaByz.Runtime.Experiments;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Dashboard;

/// <summary>
/// What the dashboard shows, gathered from the <see cref="RunFeed"/> (rows, cluster membership) and from an
/// experiment's events, and served as JSON: a snapshot for a page that connects, then deltas (new rows, new cluster
/// observations, the status). Memory stays bounded however long the run: beyond <see cref="RowCapacity"/> rows every
/// other kept row is dropped (the page then receives a new snapshot); the detection figures and the rejection totals
/// are counted over every row, not only the kept ones. A row costs O(1) under a short lock (counters, one small
/// record when the row is kept); JSON is built only when a page asks, from a copy taken under the lock and serialised
/// outside it, and a snapshot is reused while nothing changed. Thread-safe: the feed calls it on its delivery task.
/// </summary>
public sealed class DashboardState : IRunFeedListener
{
    public const int DefaultRowCapacity = 20_000;
    private const int ClusterCapacity = 5_000;
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<RowDto> _rows = [];
    private readonly List<ClusterDto> _cluster = [];
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly Queue<(double Elapsed, long Round)> _recent = new();
    private readonly Dictionary<string, CellDto> _cells = new(StringComparer.Ordinal);
    private readonly List<string> _cellOrder = [];
    private long[] _trimmed = [];
    private bool[] _isByzantine = [];
    private int _byzantineCount;
    private (int Generation, long Seq, string Json)? _snapshotCache;
    private RunDescription? _run;
    private long _seq;
    private long _stride = 1;
    private long _seen;
    private int _generation;
    private long _truePositives, _falsePositives, _byzantineRounds;
    private long _lastRound;
    private double _lastElapsed;
    private double _lastAccuracy = double.NaN, _lastTestLoss = double.NaN;
    private string? _experimentName;
    private int _experimentTotal, _experimentDone;
    private TimeSpan? _experimentEta;
    private TimeSpan _experimentElapsed;
    private string _finished = "";

    private readonly JsonSerializerOptions _options;

    /// <param name="columns">The per-round columns the page receives and lists; by default <see cref="MetricsColumn.All"/>.</param>
    public DashboardState(string mode, int rowCapacity = DefaultRowCapacity, IReadOnlyList<MetricsColumn>? columns = null)
    {
        Mode = mode;
        RowCapacity = rowCapacity >= 2 ? rowCapacity : throw new ArgumentOutOfRangeException(nameof(rowCapacity));
        Columns = columns ?? MetricsColumn.All;
        _options = new JsonSerializerOptions(Options) { Converters = { new RowJsonConverter(Columns) } };
        ColumnsJson = JsonSerializer.Serialize(Columns.Select(ColumnDto.From).ToArray(), ColumnListOptions);
    }

    /// <summary>The per-round columns (<see cref="MetricsColumn.All"/> unless a test gives others).</summary>
    public IReadOnlyList<MetricsColumn> Columns { get; }

    /// <summary>
    /// The page's column list, served at <c>/api/columns</c>: every column, in order, as <c>{name, key, label, unit,
    /// format, description, chart}</c> (<see cref="ColumnDto"/>; key null = not in the rows, chart null = table only).
    /// The page reads the rows' keys, names, units, formats and charts from it: nothing about a column is in app.js.
    /// </summary>
    public string ColumnsJson { get; }

    /// <summary>"train", "node" or "experiment": which panels the page shows.</summary>
    public string Mode { get; }

    public int RowCapacity { get; }

    /// <summary>Signalled on every change; the event stream waits on it.</summary>
    public event Action? Changed;

    // ------------------------------------------------------------------ inputs

    public void RunStarted(RunDescription run)
    {
        lock (_gate)
        {
            // A fail-over (the coordinator restarted on this node from a checkpoint) continues the same run: keep the rows.
            var same = _run is { } r && r.Workers == run.Workers && r.Rounds == run.Rounds && r.Aggregator == run.Aggregator;
            _run = run;
            _isByzantine = new bool[Math.Max(run.Workers, run.ByzantineWorkers.Count == 0 ? 0 : run.ByzantineWorkers.Max() + 1)];
            foreach (var w in run.ByzantineWorkers) _isByzantine[w] = true;
            _byzantineCount = run.ByzantineWorkers.Count;
            if (!same && Mode != "experiment")
            {
                _rows.Clear();
                _recent.Clear();
                _rejected.Clear();
                _trimmed = new long[run.Workers];
                _truePositives = _falsePositives = _byzantineRounds = 0;
                _stride = 1;
                _seen = 0;
                _generation++;
            }
            if (_trimmed.Length < run.Workers) Array.Resize(ref _trimmed, run.Workers);
        }
        Changed?.Invoke();
    }

    public void Row(MetricsRow row)
    {
        if (Mode == "experiment") return; // parallel cells share the feed; the experiment view shows cells, not rounds
        lock (_gate)
        {
            var isRound = row.Round > 0 && !double.IsNaN(row.RoundMs);
            if (isRound)
            {
                foreach (var w in row.SuspectWorkers)
                {
                    if (w >= _trimmed.Length) Array.Resize(ref _trimmed, w + 1);
                    _trimmed[w]++;
                    if ((uint)w < (uint)_isByzantine.Length && _isByzantine[w]) _truePositives++;
                    else _falsePositives++;
                }
                _byzantineRounds += _byzantineCount;
                if (row.RejectedByReason is { } reasons)
                    foreach (var (reason, n) in reasons) _rejected[reason] = _rejected.GetValueOrDefault(reason) + n;
                _lastRound = Math.Max(_lastRound, row.Round);
                if (double.IsFinite(row.ElapsedSeconds))
                {
                    _lastElapsed = row.ElapsedSeconds;
                    _recent.Enqueue((row.ElapsedSeconds, row.Round));
                    while (_recent.Count > 2 && _recent.Peek().Elapsed < row.ElapsedSeconds - RateWindow.TotalSeconds) _recent.Dequeue();
                }
            }
            if (row.Evaluated)
            {
                _lastAccuracy = row.TestAccuracy;
                _lastTestLoss = row.TestLoss;
            }
            // Evaluated rows are always kept (they are few); round rows are decimated beyond the capacity.
            if (!row.Evaluated && _seen++ % _stride != 0) return;
            if (_rows.Count >= RowCapacity)
            {
                var kept = 0;
                for (var i = 0; i < _rows.Count; i++)
                    if (i % 2 == 0 || _rows[i].Row.Evaluated) _rows[kept++] = _rows[i];
                _rows.RemoveRange(kept, _rows.Count - kept);
                _stride *= 2;
                _generation++;
            }
            _rows.Add(new RowDto(++_seq, row));
        }
        Changed?.Invoke();
    }

    public void Cluster(ClusterObservation o)
    {
        lock (_gate)
        {
            if (_cluster.Count >= ClusterCapacity)
            {
                _cluster.RemoveRange(0, ClusterCapacity / 2);
                _generation++;
            }
            _cluster.Add(new ClusterDto(++_seq, o.Utc.ToString("O"), o.Aggregators, o.Workers, o.Unreachable, o.Event, o.FailOver));
        }
        Changed?.Invoke();
    }

    /// <summary>An experiment's grid: every cell, pending until its events arrive.</summary>
    public void ExperimentStarted(string name, IReadOnlyList<GridCell> cells)
    {
        lock (_gate)
        {
            _experimentName = name;
            _experimentTotal = cells.Count;
            foreach (var c in cells)
            {
                if (_cells.ContainsKey(c.Id)) continue;
                _cellOrder.Add(c.Id);
                _cells[c.Id] = new CellDto(c.Id, c.Values.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
                    c.Settings.Attack, c.Settings.Aggregator, "pending", null, null, null, null);
            }
            _generation++;
        }
        Changed?.Invoke();
    }

    public void ExperimentEvent(ExperimentEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        lock (_gate)
        {
            if (!_cells.TryGetValue(e.Cell.Id, out var cell)) return;
            var state = e.Kind switch
            {
                ExperimentEventKind.Started => "running",
                ExperimentEventKind.Finished => e.Result is { Completed: false } ? "stopped" : "done",
                ExperimentEventKind.Skipped => "done",
                _ => "failed",
            };
            _cells[e.Cell.Id] = cell with
            {
                State = state,
                Final = Finite(e.Result?.FinalAccuracy),
                Best = Finite(e.Result?.BestAccuracy),
                Seconds = Finite(e.Result?.WallSeconds),
                Error = e.Error,
            };
            _experimentDone = e.Done;
            _experimentEta = e.Eta;
            _experimentElapsed = e.Elapsed;
        }
        Changed?.Invoke();
    }

    /// <summary>The run is over (the page stops expecting rows).</summary>
    public void Finished(string line)
    {
        lock (_gate) _finished = line;
        Changed?.Invoke();
    }

    // ------------------------------------------------------------------ outputs

    /// <summary>The version of the row list: when it changes, a page needs a new snapshot.</summary>
    public int Generation
    {
        get { lock (_gate) return _generation; }
    }

    public long Sequence
    {
        get { lock (_gate) return _seq; }
    }

    /// <summary>Everything, for a page that connects (or whose rows were decimated), with the generation and sequence it covers.</summary>
    public (string Json, int Generation, long Seq) Snapshot() => Json(since: 0, snapshot: true);

    /// <summary>What changed after <paramref name="since"/> (a sequence number the page has seen).</summary>
    public (string Json, int Generation, long Seq) Delta(long since) => Json(since, snapshot: false);

    public StatusDto Status()
    {
        lock (_gate) return StatusLocked();
    }

    private StatusDto StatusLocked()
    {
        double? rate = null;
        if (_recent.Count >= 2)
        {
            var first = _recent.Peek();
            var span = _lastElapsed - first.Elapsed;
            if (span > 0) rate = (_lastRound - first.Round) / span;
        }
        var total = _run?.Rounds ?? 0;
        double? eta = rate is > 0 && total > 0 ? Math.Max(0, total - _lastRound) / rate : null;
        var flagged = _truePositives + _falsePositives;
        double? precision = _byzantineCount > 0 && flagged > 0 ? (double)_truePositives / flagged : null;
        double? recall = _byzantineRounds > 0 ? (double)_truePositives / _byzantineRounds : null;
        return new StatusDto(_lastRound, total, Finite(_lastElapsed), rate, eta, Finite(_lastAccuracy), Finite(_lastTestLoss),
            precision, recall, _truePositives, _falsePositives, _finished);
    }

    private (string, int, long) Json(long since, bool snapshot)
    {
        Payload payload;
        int generation;
        long seq;
        lock (_gate)
        {
            generation = _generation;
            seq = _seq;
            if (snapshot && _snapshotCache is { } c && c.Generation == generation && c.Seq == seq) return (c.Json, generation, seq);
            // Rows and cluster observations are in sequence order: the new ones are a tail, found by binary search.
            payload = new Payload(
                snapshot ? "snapshot" : "delta", Mode, generation, seq,
                snapshot || since == 0 ? _run : null,
                Tail(_rows, since, r => r.Seq),
                Tail(_cluster, since, o => o.Seq),
                _trimmed.ToArray(),
                new SortedDictionary<string, long>(_rejected, StringComparer.Ordinal),
                _experimentName is null ? null : new ExperimentDto(_experimentName, _experimentTotal, _experimentDone,
                    _experimentEta?.TotalSeconds, _experimentElapsed.TotalSeconds, _cellOrder.Select(id => _cells[id]).ToArray()),
                StatusLocked());
        }
        // Serialised outside the lock: the feed never waits for a page.
        var json = JsonSerializer.Serialize(payload, _options);
        if (snapshot)
            lock (_gate) _snapshotCache = (generation, seq, json);
        return (json, generation, seq);
    }

    /// <summary>The items after sequence number <paramref name="since"/> (a copy).</summary>
    private static T[] Tail<T>(List<T> items, long since, Func<T, long> seqOf)
    {
        int lo = 0, hi = items.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (seqOf(items[mid]) <= since) lo = mid + 1;
            else hi = mid;
        }
        return items.GetRange(lo, items.Count - lo).ToArray();
    }

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private static readonly JsonSerializerOptions ColumnListOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // ------------------------------------------------------------------ wire shapes (short names: rows are many)

    /// <summary>
    /// A kept row: its sequence number and the row itself (no copy: the row is immutable). Written by the state's
    /// <see cref="RowJsonConverter"/> as <c>{"seq":…, KEY: value for every column of <see cref="Columns"/> with a
    /// <see cref="MetricsColumn.DashboardKey"/> and a finite value, "s": [the suspect workers], "why": {reason: count}}</c>.
    /// </summary>
    public readonly record struct RowDto(long Seq, MetricsRow Row);

    /// <summary>
    /// One column of the page's list: its metrics.csv <paramref name="Name"/>, its row key (null: not sent), label, unit,
    /// .NET numeric <paramref name="Format"/> (the CSV's: "0", "0.###", "0.0000", "G6"; the page formats values with it),
    /// description and chart group (null: table only).
    /// </summary>
    public sealed record ColumnDto(string Name, string? Key, string Label, string Unit, string Format, string Description, string? Chart)
    {
        public static ColumnDto From(MetricsColumn c) => new(c.Name, c.DashboardKey, c.Label, c.Unit, c.Format, c.Description, c.Chart);
    }

    public sealed record ClusterDto(long Seq, string Utc, int Aggregators, int Workers, int Unreachable, string Event, bool FailOver);

    public sealed record CellDto(string Id, IReadOnlyDictionary<string, string> Values, string Attack, string Aggregator, string State, double? Final, double? Best, double? Seconds, string? Error);

    public sealed record ExperimentDto(string Name, int Total, int Done, double? EtaSeconds, double ElapsedSeconds, IReadOnlyList<CellDto> Cells);

    public sealed record StatusDto(long Round, long Rounds, double? Elapsed, double? RoundsPerSecond, double? EtaSeconds, double? TestAccuracy, double? TestLoss,
        double? Precision, double? Recall, long TruePositives, long FalsePositives, string Finished);

    private sealed record Payload(string Kind, string Mode, int Generation, long Seq, RunDescription? Run, IReadOnlyList<RowDto> Rows,
        IReadOnlyList<ClusterDto> Cluster, long[] Trimmed, IReadOnlyDictionary<string, long> Rejected, ExperimentDto? Experiment, StatusDto Status);
}
