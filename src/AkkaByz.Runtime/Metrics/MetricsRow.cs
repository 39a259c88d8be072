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
