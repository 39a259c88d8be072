using Akka.Configuration;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Hosting;

/// <summary>How <see cref="LocalTraining"/> runs besides the settings.</summary>
public sealed record LocalTrainingOptions
{
    /// <summary>Folder for metrics.csv, summary.json and chart.png; null = write nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Called (on the metrics sink's thread) for each completed metrics row.</summary>
    public Action<MetricsRow>? OnRow { get; init; }

    /// <summary>Called once the run is composed (data loaded, rounds known), before the actors start.</summary>
    public Action<Composition.RunComponents>? OnComposed { get; init; }

    /// <summary>Extra Akka configuration on top of the reference (tests: <c>akka.actor.serialize-messages = on</c>).</summary>
    public Config? AkkaConfig { get; init; }

    /// <summary>Metrics rows kept in memory before the series is decimated (<see cref="MetricsSeries"/>; metrics.csv has every row).</summary>
    public int MetricsSeriesCapacity { get; init; } = MetricsSeries.DefaultCapacity;

    /// <summary>
    /// Akka's log through Microsoft.Extensions.Logging (Akka.Hosting's LoggerFactoryLogger) into this factory; null keeps
    /// Akka's own StandardOutLogger lines (tests, <c>--raw-log</c>).
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Logging { get; init; }

    /// <summary>Akka log level for the run's actor system (WARNING shows rejections, deadlines and crashes).</summary>
    public string LogLevel { get; init; } = "WARNING";
}
