using System.Globalization;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// One per-round metric: its metrics.csv column name, unit and meaning, the figure it reads from a row and how that
/// figure is written (NaN as an empty cell), and where else it appears: the instrument of the <c>AkkaByz</c> Meter it
/// is recorded into (<see cref="Instrument"/>, <see cref="Kind"/>), the short key of the dashboard's row JSON
/// (<see cref="DashboardKey"/>) and how the page shows it (<see cref="Label"/>, <see cref="Chart"/>). <see cref="All"/> is
/// the one table metrics.csv, the Meter's per-round instruments (<see cref="AkkaByzTelemetry"/>), the dashboard's rows
/// and the page's column list (its <c>/api/columns</c>) are generated from: adding a metric is one entry there.
/// </summary>
public sealed record MetricsColumn(string Name, string Unit, string Description, Func<MetricsRow, double> Value, string Format)
{
    /// <summary>The Meter instrument's name (e.g. <c>akkabyz.updates.accepted</c>); null with <see cref="MetricsInstrumentKind.None"/>.</summary>
    public string? Instrument { get; init; }

    /// <summary>The kind of instrument the value is recorded into (none by default).</summary>
    public MetricsInstrumentKind Kind { get; init; }

    /// <summary>
    /// The instrument's description when it says more than the CSV's (a counter sums the column over the rounds); by
    /// default <see cref="Description"/>.
    /// </summary>
    public string? InstrumentDescription { get; init; }

    /// <summary>
    /// Recorded from every row with a finite value, the starting point (round 0) and evaluation-only rows included
    /// (the test figures); by default only from a completed round's row.
    /// </summary>
    public bool EveryRow { get; init; }

    /// <summary>The property name in the dashboard's row JSON (short: rows are many); null = not sent to the page.</summary>
    public string? DashboardKey { get; init; }

    /// <summary>The page's name for the column (its table and chart legends); by default <see cref="Name"/> with spaces for underscores.</summary>
    public string Label
    {
        get => _label ?? Name.Replace('_', ' ');
        init => _label = value;
    }

    private readonly string? _label;

    /// <summary>
    /// The page's chart the column is drawn in (a chart per group, its columns as series over the rounds); null = in the
    /// page's table of latest values only.
    /// </summary>
    public string? Chart { get; init; }

    /// <summary>The cell of <paramref name="row"/>: the value in <see cref="Format"/> (invariant culture), empty when NaN.</summary>
    public string Csv(MetricsRow row)
    {
        var v = Value(row);
        return double.IsNaN(v) ? "" : v.ToString(Format, CultureInfo.InvariantCulture);
    }

    /// <summary>The columns, in file order.</summary>
    public static IReadOnlyList<MetricsColumn> All { get; } =
    [
        new("round", "{round}", "The round the figures belong to (0: the starting point).", r => r.Round, "0")
            { Instrument = "akkabyz.round", Kind = MetricsInstrumentKind.IntegerGauge, InstrumentDescription = "The last completed round.", DashboardKey = "r" },
        new("train_loss", "1", "Median reported minibatch loss of the accepted updates.", r => r.TrainLoss, "G6")
            { Instrument = "akkabyz.train.loss", Kind = MetricsInstrumentKind.Gauge, InstrumentDescription = "Median reported minibatch loss of the last round.", DashboardKey = "l" },
        new("test_loss", "1", "Test loss (evaluated rounds only).", r => r.TestLoss, "G6")
            { Instrument = "akkabyz.test.loss", Kind = MetricsInstrumentKind.Gauge, InstrumentDescription = "Test loss of the last evaluation.", EveryRow = true, DashboardKey = "tl" },
        new("test_accuracy", "1", "Test accuracy, 0..1 (evaluated rounds only).", r => r.TestAccuracy, "0.0000")
            { Instrument = "akkabyz.test.accuracy", Kind = MetricsInstrumentKind.Gauge, InstrumentDescription = "Test accuracy (0..1) of the last evaluation.", EveryRow = true, DashboardKey = "a" },
        new("received", "{update}", "Updates received this round.", r => r.Received, "0")
            { Instrument = "akkabyz.updates.accepted", Kind = MetricsInstrumentKind.Counter, InstrumentDescription = "Updates accepted into an aggregation.", DashboardKey = "n", Chart = "updates per round" },
        // Recorded by reason (tag reason) into akkabyz.updates.rejected from the row's RejectedByReason, not from this total.
        new("rejected", "{update}", "Updates rejected this round.", r => r.Rejected, "0") { DashboardKey = "j", Chart = "updates per round" },
        new("suspects", "{update}", "Accepted updates the rule discarded this round.", r => r.Suspects, "0")
            { Instrument = "akkabyz.suspects", Kind = MetricsInstrumentKind.Counter, InstrumentDescription = "Accepted updates the rule discarded (trimmed).", DashboardKey = "sc", Chart = "updates per round" },
        new("aggregation_ms", "ms", "Time the aggregation took.", r => r.AggregationMs, "0.###")
            { Instrument = "akkabyz.aggregation.duration", Kind = MetricsInstrumentKind.Histogram, InstrumentDescription = "Time of the robust aggregation rule in a round.", DashboardKey = "ag", Label = "aggregation time", Chart = "time per round" },
        new("round_ms", "ms", "Time the round took.", r => r.RoundMs, "0.###")
            { Instrument = "akkabyz.round.duration", Kind = MetricsInstrumentKind.Histogram, InstrumentDescription = "Wall time of a round: Params published to the server step done.", DashboardKey = "rt", Label = "round time", Chart = "time per round" },
        new("elapsed_s", "s", "Time since the run started.", r => r.ElapsedSeconds, "0.###") { DashboardKey = "e", Label = "elapsed" },
        // The Meter reads the same refusals by reason from the node (the observable counter akkabyz.security.refused).
        new("refused_total", "{refusal}", "Connections and messages refused so far (cluster mode).", r => r.RefusedTotal, "0") { DashboardKey = "rf", Label = "refused (total)" },
    ];
}
