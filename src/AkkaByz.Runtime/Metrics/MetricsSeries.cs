namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// The rows a run keeps in memory for its chart, its summary and its caller, bounded however long it runs
/// (metrics.csv has every row; it is written as the rows come). Up to <see cref="Capacity"/> rows are kept as they
/// are; beyond that the series is decimated — every other kept row is dropped and only every 2nd, then 4th, ... row
/// is kept — so it always spans the whole run at an even spacing. Evaluated rows are kept the same way in a series
/// of their own (a run has far fewer of them: every one is kept up to <see cref="Capacity"/> evaluations), the first
/// row and the newest row are always kept, and <see cref="Snapshot"/> returns the union in round order.
/// </summary>
public sealed class MetricsSeries(int capacity = MetricsSeries.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly Decimated _all = new(capacity);
    private readonly Decimated _evaluated = new(capacity);
    private MetricsRow? _first;
    private MetricsRow? _last;

    public int Capacity { get; } = capacity >= 2 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "capacity must be at least 2.");

    /// <summary>Rows added so far (not kept: added).</summary>
    public long Count { get; private set; }

    public void Add(MetricsRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _first ??= row;
        _last = row;
        Count++;
        _all.Add(row);
        if (row.Evaluated) _evaluated.Add(row);
    }

    /// <summary>The kept rows, in round order (each once): every row while fewer than <see cref="Capacity"/> were added.</summary>
    public IReadOnlyList<MetricsRow> Snapshot()
    {
        var rows = new List<MetricsRow>(_all.Rows.Count + _evaluated.Rows.Count + 2);
        rows.AddRange(_all.Rows);
        rows.AddRange(_evaluated.Rows);
        if (_first is not null) rows.Add(_first);
        if (_last is not null) rows.Add(_last);
        // Rounds are unique except for an evaluation of a round never reported; keep the added order among equals.
        return rows.Distinct(ReferenceEqualityComparer.Instance).Cast<MetricsRow>()
            .Select((r, i) => (r, i)).OrderBy(p => p.r.Round).ThenBy(p => p.i).Select(p => p.r).ToArray();
    }

    /// <summary>Every row whose position is a multiple of the stride; the stride doubles when the buffer is full.</summary>
    private sealed class Decimated(int capacity)
    {
        private long _seen;
        private long _stride = 1;
        public List<MetricsRow> Rows { get; } = [];

        public void Add(MetricsRow row)
        {
            if (_seen++ % _stride != 0) return;
            if (Rows.Count == capacity)
            {
                // Keep the rows at even positions (positions 0, 2s, 4s, ...): the stride is now 2s.
                var kept = 0;
                for (var i = 0; i < Rows.Count; i += 2) Rows[kept++] = Rows[i];
                Rows.RemoveRange(kept, Rows.Count - kept);
                _stride *= 2;
                if ((_seen - 1) % _stride != 0) return;
            }
            Rows.Add(row);
        }
    }
}
