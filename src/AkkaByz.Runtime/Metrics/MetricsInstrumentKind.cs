namespace AkkaByz.Runtime.Metrics;

/// <summary>Which instrument of the <c>AkkaByz</c> Meter a <see cref="MetricsColumn"/> is recorded into, if any.</summary>
public enum MetricsInstrumentKind
{
    /// <summary>Not recorded into the Meter (metrics.csv and the dashboard only).</summary>
    None,

    /// <summary>A <c>Counter&lt;long&gt;</c>: the column's value is added per round (its sum over the CSV's rows).</summary>
    Counter,

    /// <summary>A <c>Gauge&lt;long&gt;</c>: the last value.</summary>
    IntegerGauge,

    /// <summary>A <c>Gauge&lt;double&gt;</c>: the last value.</summary>
    Gauge,

    /// <summary>A <c>Histogram&lt;double&gt;</c>: every round's value.</summary>
    Histogram,
}
