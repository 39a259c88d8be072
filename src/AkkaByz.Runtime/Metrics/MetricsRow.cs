using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// One row of metrics.csv: figures of round <paramref name="Round"/>. <paramref name="TrainLoss"/> is the median of
/// the minibatch losses reported with the accepted updates (the median, because f of them may lie);
/// test figures are NaN unless the round was evaluated. <paramref name="RefusedTotal"/> counts, up to this round, the
/// connections and messages this node refused because of who sent them or how they were framed (cluster mode; see
/// docs/cluster.md, Security; always 0 in a local run). <see cref="SuspectWorkers"/> (the workers the rule discarded
/// this round) and <see cref="RejectedByReason"/> are not in the CSV: they feed the telemetry and the dashboard.
/// </summary>
public sealed record MetricsRow(
    long Round,
    double TrainLoss,
    double TestLoss,
    double TestAccuracy,
    int Received,
    int Rejected,
    int Suspects,
    double AggregationMs,
    double RoundMs,
    double ElapsedSeconds,
    long RefusedTotal = 0,
    SuspectTally? Tally = null)
{
    public bool Evaluated => !double.IsNaN(TestAccuracy);

    /// <summary>Worker indices the aggregation rule discarded this round, ascending (empty for an evaluation-only row).</summary>
    public IReadOnlyList<int> SuspectWorkers { get; init; } = [];

    /// <summary>This round's rejected updates by reason; null when none were rejected.</summary>
    public IReadOnlyDictionary<string, int>? RejectedByReason { get; init; }

    /// <summary>metrics.csv's header, from <see cref="MetricsColumn.All"/>.</summary>
    public static string CsvHeader { get; } = string.Join(',', MetricsColumn.All.Select(c => c.Name));

    /// <summary>This row as one metrics.csv line, from <see cref="MetricsColumn.All"/>.</summary>
    public string ToCsv() => string.Join(',', MetricsColumn.All.Select(c => c.Csv(this)));
}

/// <summary>
/// One column of metrics.csv: its name, unit and meaning, the figure it reads from a row and how that figure is
/// written (NaN as an empty cell). <see cref="All"/> is the one table the CSV header and rows are generated from;
/// adding a column is one entry there.
/// </summary>
public sealed record MetricsColumn(string Name, string Unit, string Description, Func<MetricsRow, double> Value, string Format)
{
    /// <summary>The cell of <paramref name="row"/>: the value in <see cref="Format"/> (invariant culture), empty when NaN.</summary>
    public string Csv(MetricsRow row)
    {
        var v = Value(row);
        return double.IsNaN(v) ? "" : v.ToString(Format, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The columns, in file order.</summary>
    public static IReadOnlyList<MetricsColumn> All { get; } =
    [
        new("round", "{round}", "The round the figures belong to (0: the starting point).", r => r.Round, "0"),
        new("train_loss", "1", "Median reported minibatch loss of the accepted updates.", r => r.TrainLoss, "G6"),
        new("test_loss", "1", "Test loss (evaluated rounds only).", r => r.TestLoss, "G6"),
        new("test_accuracy", "1", "Test accuracy, 0..1 (evaluated rounds only).", r => r.TestAccuracy, "0.0000"),
        new("received", "{update}", "Updates received this round.", r => r.Received, "0"),
        new("rejected", "{update}", "Updates rejected this round.", r => r.Rejected, "0"),
        new("suspects", "{update}", "Accepted updates the rule discarded this round.", r => r.Suspects, "0"),
        new("aggregation_ms", "ms", "Time the aggregation took.", r => r.AggregationMs, "0.###"),
        new("round_ms", "ms", "Time the round took.", r => r.RoundMs, "0.###"),
        new("elapsed_s", "s", "Time since the run started.", r => r.ElapsedSeconds, "0.###"),
        new("refused_total", "{refusal}", "Connections and messages refused so far (cluster mode).", r => r.RefusedTotal, "0"),
    ];
}
