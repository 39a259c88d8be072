namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// One row of metrics.csv: figures of round <paramref name="Round"/>. <paramref name="TrainLoss"/> is the median of
/// the minibatch losses reported with the accepted updates (the median, because f of them may lie);
/// test figures are NaN unless the round was evaluated.
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
    double ElapsedSeconds)
{
    public bool Evaluated => !double.IsNaN(TestAccuracy);

    public const string CsvHeader = "round,train_loss,test_loss,test_accuracy,received,rejected,suspects,aggregation_ms,round_ms,elapsed_s";

    public string ToCsv()
    {
        static string F(double v, string format) => double.IsNaN(v) ? "" : v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(',',
            Round.ToString(System.Globalization.CultureInfo.InvariantCulture),
            F(TrainLoss, "G6"), F(TestLoss, "G6"), F(TestAccuracy, "0.0000"),
            Received, Rejected, Suspects,
            F(AggregationMs, "0.###"), F(RoundMs, "0.###"), F(ElapsedSeconds, "0.###"));
    }
}
