using AkkaByz.Core.Models;
using AkkaByz.Runtime.Metrics;
using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Hosting;

/// <summary>What a local run produced: the aggregator's summary (final parameters, counters), the final test evaluation, the metrics rows.</summary>
public sealed record TrainingResult(
    RunCompleted Run,
    Evaluation Final,
    IReadOnlyList<MetricsRow> Rows,
    string? OutputDirectory,
    double SetupSeconds)
{
    public long Rounds => Run.Rounds;
    public double RoundsPerSecond => Run.WallSeconds > 0 ? Run.Rounds / Run.WallSeconds : 0;
    public long RejectedTotal => Run.Rejected.Values.Sum();
    public float[] FinalParameters => Run.FinalParameters;
}
