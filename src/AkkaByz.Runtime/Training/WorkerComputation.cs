using System.Runtime.InteropServices;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Training;

/// <summary>
/// One worker's honest computation, free of actors: its optimizer state, its shard's minibatch schedule, and the
/// model pool its gradient calls rent an instance from (<see cref="ModelPool"/>: shared by a process's workers, or its own). <see cref="Compute"/> draws the round's minibatch and runs the worker optimizer on it
/// (µ²-SGD takes its two gradients on this same batch). Minibatches: AkkaByz.Core's MinibatchSampler in
/// epoch-shuffle mode, a pure function of (seed, worker, round). Not thread-safe: the owning actor runs one at a time.
/// Also used by the plain-loop baseline of the runtime benchmark, so both measure the same work.
/// <para>
/// The split form, for spreading a round over the cores: <see cref="Prepare"/> draws the minibatch and returns the
/// gradient calls the optimizer is expected to make (the round's query point, and — when the optimizer queried two
/// points last round, as µ²-SGD does — last round's point), which may run concurrently, each on an instance it rents;
/// <see cref="Complete"/> then runs the optimizer, whose oracle serves a call from those results when its point is
/// bit-for-bit the prepared one and computes it otherwise. The gradients are the same calls on the same inputs, so the
/// update is bit-identical to <see cref="Compute"/>'s.
/// </para>
/// </summary>
public sealed class WorkerComputation : IDisposable
{
    private readonly ModelPool _models;
    private readonly IWorkerOptimizer _optimizer;
    private readonly DataSet _data;
    private readonly MinibatchSampler _sampler;
    private readonly int[] _batch;
    private readonly GradientOracle _oracle;
    private readonly GradientJob[] _jobs;
    private readonly GradientJob[] _first;
    private GradientJob[] _prepared = [];
    private float[]? _lastX;
    private long _lastRound;
    private int _lastQueries;
    private int _queries;
    private long _servingRound;

    /// <param name="sampler">The worker's minibatch sampler over its shard (deterministic from seed, worker, round).</param>
    /// <param name="createHelper">Makes a second model instance (same function) so that two gradients of a round can run at
    /// once (<see cref="Prepare"/>); null = one gradient at a time.</param>
    /// <param name="schedule">How the gradient calls are scheduled (<see cref="Schedule"/>); null = <see cref="ComputeSettings.Default"/>.</param>
    public WorkerComputation(IGradientModel model, IWorkerOptimizer optimizer, DataSet data, MinibatchSampler sampler, int batchSize,
        Func<IGradientModel>? createHelper = null, ComputeSettings? schedule = null)
        : this(new ModelPool(model ?? throw new ArgumentNullException(nameof(model)), createHelper), optimizer, data, sampler, batchSize, schedule)
    {
    }

    /// <summary>A computation whose gradient calls rent their model instance from <paramref name="models"/> (shared with other
    /// workers, or its own); it holds a share of the pool until it is disposed.</summary>
    public WorkerComputation(ModelPool models, IWorkerOptimizer optimizer, DataSet data, MinibatchSampler sampler, int batchSize, ComputeSettings? schedule = null)
    {
        Schedule = schedule ?? ComputeSettings.Default;
        ArgumentNullException.ThrowIfNull(models);
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batch = new int[batchSize];
        _models = models.Share();
        _oracle = Oracle;
        _jobs = [new GradientJob(this, _batch), new GradientJob(this, _batch)];
        _first = [_jobs[0]];
    }

    /// <summary>The standard computation of worker <paramref name="worker"/>: epoch-shuffled minibatches of its shard.</summary>
    public static WorkerComputation For(IGradientModel model, IWorkerOptimizer optimizer, DataSet data, int[] shard, int batchSize, int seed, int worker,
        Func<IGradientModel>? createHelper = null, ComputeSettings? schedule = null) =>
        For(new ModelPool(model ?? throw new ArgumentNullException(nameof(model)), createHelper), optimizer, data, shard, batchSize, seed, worker, schedule);

    /// <summary>The standard computation of worker <paramref name="worker"/>, its gradient calls served by <paramref name="models"/>.</summary>
    public static WorkerComputation For(ModelPool models, IWorkerOptimizer optimizer, DataSet data, int[] shard, int batchSize, int seed, int worker,
        ComputeSettings? schedule = null) =>
        new(models, optimizer, data, new MinibatchSampler(shard, seed, worker, SamplingMode.EpochShuffle), batchSize, schedule);

    public int Dimension => _models.ParameterCount;

    /// <summary>
    /// Whether <see cref="Prepare"/> hands out last round's point as a second job (<c>akkabyz.compute.split-gradients</c>;
    /// on by default; the pool's sharing is decided where the pool is made, <c>Composition.RunPlan</c>). Updates are
    /// bit-identical either way; <c>bench runtime --split-gradients off</c> compares the schedules.
    /// </summary>
    public ComputeSettings Schedule { get; }

    /// <summary>The model's name (for messages).</summary>
    public string ModelName => _models.Name;

    /// <summary>
    /// Starts the prepared <paramref name="jobs"/>: one task each on the <see cref="ComputeScheduler"/>.
    /// <see cref="Complete"/> may run once the returned tasks have finished.
    /// </summary>
    public static Task[] RunJobs(ReadOnlySpan<GradientJob> jobs)
    {
        var parts = new Task[jobs.Length];
        for (var i = 0; i < parts.Length; i++) parts[i] = ComputeScheduler.Run(jobs[i].Run);
        return parts;
    }

    /// <summary>Where the optimizer state is recorded at checkpoint rounds (cluster mode; null = nowhere).</summary>
    public WorkerStateLog? StateLog { get; set; }

    /// <summary>Continues from a recorded optimizer state (after an aggregator fail-over; see <see cref="WorkerStateLog"/>).</summary>
    public void Restore(OptimizerState state)
    {
        _optimizer.SetState(state);
        _lastX = null; // the optimizer's previous point is the restored one now
        _lastQueries = 0;
    }

    /// <summary>The update of round <paramref name="round"/> at query point <paramref name="x"/> (a fresh array) and the minibatch loss.</summary>
    public (float[] Update, double Loss) Compute(long round, ReadOnlySpan<float> x)
    {
        Prepare(round, x, prefetch: false);
        return Complete(round, x);
    }

    /// <summary>
    /// Draws the minibatch of <paramref name="round"/> and returns the gradient calls to run before <see cref="Complete"/>
    /// (in any order, concurrently with each other; none when <paramref name="prefetch"/> is off). The jobs belong to this
    /// computation and are reused next round.
    /// </summary>
    public ReadOnlySpan<GradientJob> Prepare(long round, ReadOnlySpan<float> x, bool prefetch = true)
    {
        if (x.Length != _models.ParameterCount)
            throw new ArgumentException($"Params of round {round} have {x.Length} values; model '{_models.Name}' has {_models.ParameterCount} parameters.", nameof(x));
        long t = RoundProfiler.Start();
        _sampler.Batch(round, _batch);
        RoundProfiler.Lap(RoundProfiler.Phase.Sample, t);
        _queries = 0;
        if (!prefetch)
        {
            _prepared = [];
            return ReadOnlySpan<GradientJob>.Empty;
        }
        _jobs[0].Set(x, round);
        var wantsSecond = Schedule.SplitGradients && _models.CanGrow && _lastQueries >= 2 && _lastX is not null && _lastRound == round - 1;
        if (wantsSecond)
        {
            _jobs[1].Set(_lastX, round);
            _prepared = _jobs;
            return _prepared;
        }
        _prepared = _first;
        return _prepared;
    }

    /// <summary>Runs the optimizer for <paramref name="round"/> (after <see cref="Prepare"/> and its jobs): the update (a fresh array) and the loss.</summary>
    public (float[] Update, double Loss) Complete(long round, ReadOnlySpan<float> x)
    {
        long t = RoundProfiler.Start();
        var update = new float[_models.ParameterCount];
        _servingRound = round;
        var loss = _optimizer.ComputeUpdate(round, x, _oracle, update);
        if (StateLog is { } log && log.Wants(round)) log.Record(round, _optimizer.GetState());
        _lastQueries = _queries;
        _lastRound = round;
        _lastX ??= new float[x.Length];
        x.CopyTo(_lastX);
        foreach (var job in _prepared) job.Clear();
        RoundProfiler.Lap(RoundProfiler.Phase.Optimizer, t);
        return (update, loss);
    }

    private double Oracle(ReadOnlySpan<float> p, Span<float> g)
    {
        _queries++;
        foreach (var job in _prepared)
        {
            if (job.TryServe(_servingRound, p, g, out var served)) return served;
        }
        long t = RoundProfiler.Start();
        var model = _models.Rent();
        double loss;
        try
        {
            loss = model.LossAndGradient(p, _data, _batch, g);
        }
        finally
        {
            _models.Return(model);
        }
        if (t != 0) RoundProfiler.Deduct(RoundProfiler.Phase.Optimizer, RoundProfiler.Lap(RoundProfiler.Phase.Gradient, t) - t);
        return loss;
    }

    private bool _disposed;

    /// <summary>Gives back this computation's share of its model pool (the last share disposes the instances).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _models.Release();
    }

    /// <summary>One gradient call of a round, prepared by <see cref="Prepare"/>: point, minibatch and model fixed; <see cref="Run"/> computes it.</summary>
    public sealed class GradientJob
    {
        private readonly WorkerComputation _owner;
        private float[] _point = [];
        private float[] _gradient = [];
        private double _loss;
        private bool _done;
        private long _round;

        internal GradientJob(WorkerComputation owner, int[] batch)
        {
            _owner = owner;
            Batch = batch;
        }

        /// <summary>The minibatch this job runs on (the round's).</summary>
        internal int[] Batch { get; }

        internal void Set(ReadOnlySpan<float> point, long round)
        {
            _round = round;
            if (_point.Length != point.Length)
            {
                _point = new float[point.Length];
                _gradient = new float[point.Length];
            }
            point.CopyTo(_point);
            _done = false;
        }

        internal void Clear() => _done = false;

        /// <summary>Computes the gradient on a model instance rented for the call (so the round's jobs may run at once).</summary>
        public void Run()
        {
            long t = RoundProfiler.Start();
            var models = _owner._models;
            var model = models.Rent();
            try
            {
                _loss = model.LossAndGradient(_point, _owner._data, Batch, _gradient);
            }
            finally
            {
                models.Return(model);
            }
            _done = true;
            RoundProfiler.Lap(RoundProfiler.Phase.Gradient, t);
        }

        internal bool TryServe(long round, ReadOnlySpan<float> p, Span<float> g, out double loss)
        {
            loss = _loss;
            if (!_done || _round != round || !MemoryMarshal.AsBytes(p).SequenceEqual(MemoryMarshal.AsBytes(_point.AsSpan()))) return false;
            _gradient.CopyTo(g);
            return true;
        }
    }
}
