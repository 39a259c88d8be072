using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Training;

/// <summary>
/// One worker's honest computation, free of actors: its model instance, its optimizer state, its shard's
/// minibatch schedule. <see cref="Compute"/> draws the round's minibatch and runs the worker optimizer on it
/// (µ²-SGD takes its two gradients on this same batch). Minibatches: AkkaByz.Core's MinibatchSampler in
/// epoch-shuffle mode, a pure function of (seed, worker, round). Not thread-safe: the owning actor runs one at a time.
/// Also used by the plain-loop baseline of the runtime benchmark, so both measure the same work.
/// </summary>
public sealed class WorkerComputation : IDisposable
{
    private readonly IGradientModel _model;
    private readonly IWorkerOptimizer _optimizer;
    private readonly DataSet _data;
    private readonly MinibatchSampler _sampler;
    private readonly int[] _batch;

    /// <param name="sampler">The worker's minibatch sampler over its shard (deterministic from seed, worker, round).</param>
    public WorkerComputation(IGradientModel model, IWorkerOptimizer optimizer, DataSet data, MinibatchSampler sampler, int batchSize)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batch = new int[batchSize];
    }

    /// <summary>The standard computation of worker <paramref name="worker"/>: epoch-shuffled minibatches of its shard.</summary>
    public static WorkerComputation For(IGradientModel model, IWorkerOptimizer optimizer, DataSet data, int[] shard, int batchSize, int seed, int worker) =>
        new(model, optimizer, data, new MinibatchSampler(shard, seed, worker, SamplingMode.EpochShuffle), batchSize);

    public int Dimension => _model.ParameterCount;

    /// <summary>Where the optimizer state is recorded at checkpoint rounds (cluster mode; null = nowhere).</summary>
    public WorkerStateLog? StateLog { get; set; }

    /// <summary>Continues from a recorded optimizer state (after an aggregator fail-over; see <see cref="WorkerStateLog"/>).</summary>
    public void Restore(OptimizerState state) => _optimizer.SetState(state);

    /// <summary>The update of round <paramref name="round"/> at query point <paramref name="x"/> (a fresh array) and the minibatch loss.</summary>
    public (float[] Update, double Loss) Compute(long round, ReadOnlySpan<float> x)
    {
        if (x.Length != _model.ParameterCount)
            throw new ArgumentException($"Params of round {round} have {x.Length} values; model '{_model.Name}' has {_model.ParameterCount} parameters.", nameof(x));
        _sampler.Batch(round, _batch);
        var update = new float[_model.ParameterCount];
        var batch = _batch;
        var model = _model;
        var data = _data;
        var loss = _optimizer.ComputeUpdate(round, x, (p, g) => model.LossAndGradient(p, data, batch, g), update);
        if (StateLog is { } log && log.Wants(round)) log.Record(round, _optimizer.GetState());
        return (update, loss);
    }

    public void Dispose() => _model.Dispose();
}
