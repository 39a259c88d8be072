using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// The math a run is made of, assembled from the settings by <see cref="RunComposer"/> (or by hand in tests):
/// data and shards, and factories for the per-actor pieces (each worker and the evaluator get their own model
/// instance; each worker its own optimizer state).
/// </summary>
public sealed class RunComponents
{
    public required AkkaByzSettings Settings { get; init; }
    public required DataSet Train { get; init; }
    public required DataSet Test { get; init; }

    /// <summary>Indices into <see cref="Train"/> per worker (m shards).</summary>
    public required IReadOnlyList<int[]> Shards { get; init; }

    /// <summary>x_1, the seeded initial parameters (length d).</summary>
    public required float[] InitialParameters { get; init; }

    /// <summary>A fresh model instance (for the workers' model pool, as many as calls run at once, and one for the evaluator).</summary>
    public required Func<IGradientModel> CreateModel { get; init; }

    /// <summary>The optimizer state of worker i.</summary>
    public required Func<int, IWorkerOptimizer> CreateWorkerOptimizer { get; init; }

    /// <summary>The server optimizer starting at the given point.</summary>
    public required Func<float[], IServerOptimizer> CreateServerOptimizer { get; init; }

    /// <summary>The aggregation rule for n inputs tolerating f (the seed fixed by the settings).</summary>
    public required Func<int, int, IAggregator> CreateAggregator { get; init; }

    /// <summary>The Byzantine behaviour, or null for no attack.</summary>
    public Func<IAttack>? CreateAttack { get; init; }

    /// <summary>Rounds to run (settings.rounds, or derived from epochs).</summary>
    public long Rounds => Settings.Rounds > 0
        ? Settings.Rounds
        : Math.Max(1, (long)Math.Ceiling(Settings.Epochs * (double)Shards.Min(s => s.Length) / Settings.BatchSize));

    public int Dimension => InitialParameters.Length;
}
