namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// Time left of a grid from the durations of the cells finished so far in this session: with n cells still to
/// finish (running ones included) and p running at once, ETA = mean duration × n / min(p, n). Unknown (null) until
/// a cell has finished. Thread-safe.
/// </summary>
public sealed class EtaEstimator
{
    private readonly object _gate = new();
    private readonly int _parallel;
    private int _remaining;
    private double _sum;
    private int _count;

    /// <param name="cells">Cells to run in this session.</param>
    /// <param name="parallel">Cells run at once.</param>
    public EtaEstimator(int cells, int parallel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cells);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        _remaining = cells;
        _parallel = parallel;
    }

    /// <summary>Records a finished cell (or a failed one: its time was spent too).</summary>
    public void Finished(TimeSpan duration)
    {
        lock (_gate)
        {
            _sum += duration.TotalSeconds;
            _count++;
            if (_remaining > 0) _remaining--;
        }
    }

    public int Remaining { get { lock (_gate) return _remaining; } }

    /// <summary>Mean duration of the finished cells, or null before the first.</summary>
    public TimeSpan? MeanCell { get { lock (_gate) return _count == 0 ? null : TimeSpan.FromSeconds(_sum / _count); } }

    /// <summary>Estimated time until the last cell finishes; zero when none remain, null before the first cell finished.</summary>
    public TimeSpan? Remainder
    {
        get
        {
            lock (_gate)
            {
                if (_remaining == 0) return TimeSpan.Zero;
                if (_count == 0) return null;
                return TimeSpan.FromSeconds(_sum / _count * _remaining / Math.Min(_parallel, _remaining));
            }
        }
    }

    /// <summary>h:mm:ss, or "?" when unknown.</summary>
    public static string Format(TimeSpan? t) => t is not { } v ? "?" : $"{(int)v.TotalHours}:{v.Minutes:00}:{v.Seconds:00}";
}
