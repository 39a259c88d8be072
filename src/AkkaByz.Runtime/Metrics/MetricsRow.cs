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

    public const string CsvHeader = "round,train_loss,test_loss,test_accuracy,received,rejected,suspects,aggregation_ms,round_ms,elapsed_s,refused_total";

    public string ToCsv()
    {
        static string F(double v, string format) => double.IsNaN(v) ? "" : v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(',',
            Round.ToString(System.Globalization.CultureInfo.InvariantCulture),
            F(TrainLoss, "G6"), F(TestLoss, "G6"), F(TestAccuracy, "0.0000"),
            Received, Rejected, Suspects,
            F(AggregationMs, "0.###"), F(RoundMs, "0.###"), F(ElapsedSeconds, "0.###"),
            RefusedTotal.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// How well a run's suspects matched the true Byzantine slots, cumulative up to a round (simulation only: the slots
/// are known). Precision = Byzantine suspects / suspects; recall = Byzantine suspects / Byzantine inputs
/// (NaN when the denominator is 0, e.g. a rule that reports no suspects).
/// </summary>
public sealed record SuspectTally(long ByzantineSuspects, long Suspects, long ByzantineInputs)
{
    public static readonly SuspectTally Zero = new(0, 0, 0);

    public SuspectTally Add(long byzantineSuspects, long suspects, long byzantineInputs) =>
        new(ByzantineSuspects + byzantineSuspects, Suspects + suspects, ByzantineInputs + byzantineInputs);

    public double Precision => Suspects == 0 ? double.NaN : (double)ByzantineSuspects / Suspects;
    public double Recall => ByzantineInputs == 0 ? double.NaN : (double)ByzantineSuspects / ByzantineInputs;
}
