using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Tests.Doubles;
using AkkaByz.Runtime.Tests.Hosting;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Training;

/// <summary>
/// The model pool: a gradient call rents an instance and returns it; the pool grows to the calls that run at once and
/// no further; the last share disposes the instances; and which instance serves a call never changes an update.
/// </summary>
public sealed class ModelPoolSpecs
{
    private const int D = 5;

    private sealed class TrackedModel(int dimension) : IGradientModel
    {
        private readonly FakeQuadraticModel _inner = new(dimension);
        private int _busy;
        public bool Disposed { get; private set; }
        public string Name => _inner.Name;
        public int ParameterCount => _inner.ParameterCount;
        public void Initialize(Span<float> parameters, int seed) => _inner.Initialize(parameters, seed);
        public double LossAndGradient(ReadOnlySpan<float> parameters, DataSet data, ReadOnlySpan<int> batch, Span<float> gradient)
        {
            // One call at a time per instance: the pool's promise.
            if (Interlocked.Exchange(ref _busy, 1) != 0) throw new InvalidOperationException("two calls on one instance at once");
            try
            {
                Thread.SpinWait(2000);
                return _inner.LossAndGradient(parameters, data, batch, gradient);
            }
            finally { Volatile.Write(ref _busy, 0); }
        }
        public Evaluation Evaluate(ReadOnlySpan<float> parameters, DataSet data) => _inner.Evaluate(parameters, data);
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void A_pool_grows_only_to_the_calls_that_run_at_once_and_a_returned_instance_is_served_again()
    {
        var made = new List<TrackedModel>();
        var first = new TrackedModel(D);
        var pool = new ModelPool(first, () => { var m = new TrackedModel(D); lock (made) made.Add(m); return m; }).Share();
        var a = pool.Rent();
        Assert.Same(first, a);
        var b = pool.Rent(); // the first is out: a second is made
        Assert.Equal(2, pool.Created);
        pool.Return(a);
        pool.Return(b);
        var again = pool.Rent();
        Assert.True(ReferenceEquals(again, a) || ReferenceEquals(again, b));
        pool.Return(again);
        Assert.Equal(2, pool.Created);

        // Many calls from two threads at a time: never more instances than two, never two calls on one instance.
        var x = new float[D];
        var data = FakeData.Rows(40, D);
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var m = pool.Rent();
            try { m.LossAndGradient(x, data, [i % 40], new float[D]); }
            finally { pool.Return(m); }
        });
        Assert.Equal(2, pool.Created);
    }

    [Fact]
    public void A_pool_without_a_factory_serves_one_call_at_a_time_and_says_so()
    {
        var pool = new ModelPool(new TrackedModel(D), null).Share();
        Assert.False(pool.CanGrow);
        var only = pool.Rent();
        var e = Assert.Throws<InvalidOperationException>(() => pool.Rent());
        Assert.Contains("one call at a time", e.Message);
        pool.Return(only);
        Assert.Same(only, pool.Rent());
    }

    [Fact]
    public void The_last_share_disposes_the_instances_and_one_still_rented_is_disposed_when_it_comes_back()
    {
        var first = new TrackedModel(D);
        var second = new TrackedModel(D);
        var pool = new ModelPool(first, () => second);
        pool.Share();
        pool.Share();
        var a = pool.Rent();
        var b = pool.Rent();
        pool.Return(a);
        pool.Release();
        Assert.False(first.Disposed); // a share is left
        pool.Release();
        Assert.True(((TrackedModel)a).Disposed);
        Assert.False(((TrackedModel)b).Disposed); // still rented
        pool.Return(b);
        Assert.True(((TrackedModel)b).Disposed);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        Assert.Throws<ObjectDisposedException>(() => pool.Share());
        Assert.Throws<InvalidOperationException>(() => pool.Release());
    }

    [Fact]
    public async Task Workers_sharing_one_pool_compute_the_same_updates_as_with_their_own_models()
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var data = FakeData.Rows(60, D);
        var shared = new ModelPool(new TrackedModel(D), () => new TrackedModel(D));
        const int workers = 5;
        var own = Enumerable.Range(0, workers).Select(w =>
            WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), data, Enumerable.Range(10 * w, 10).ToArray(), 4, 9, w)).ToArray();
        var pooled = Enumerable.Range(0, workers).Select(w =>
            WorkerComputation.For(shared, OptimizerFactory.CreateWorker(options), data, Enumerable.Range(10 * w, 10).ToArray(), 4, 9, w)).ToArray();
        for (long r = 1; r <= 6; r++)
        {
            float[] x = [0.1f * r, -0.2f, 0.3f * r, 1f / r, -0.05f];
            // Every worker's jobs at once on two threads, as the compute scheduler runs them.
            var jobs = pooled.SelectMany(c => c.Prepare(r, x).ToArray()).ToArray();
            await Task.WhenAll(WorkerComputation.RunJobs(jobs));
            for (var w = 0; w < workers; w++)
                Assert.Equal(own[w].Compute(r, x).Update, pooled[w].Complete(r, x).Update); // bitwise
        }
        Assert.InRange(shared.Created, 1, Environment.ProcessorCount); // one per core at most, not two per worker
        foreach (var c in own.Concat(pooled)) c.Dispose();
        Assert.Throws<ObjectDisposedException>(() => shared.Rent()); // the last computation's share disposed it
    }

    [Fact]
    public void A_plan_shares_one_pool_across_its_slots_and_training_is_bit_identical_either_way()
    {
        const string hocon = "akkabyz { workers = 7, byzantine = 2, attack = sf, rounds = 12, batch-size = 4 }";
        var shared = LocalTrainingSpecs.Fakes(hocon, attack: new FakeSignFlip());
        var separate = LocalTrainingSpecs.Fakes(hocon.Replace(" }", ", compute.share-models = off }"), attack: new FakeSignFlip());
        Assert.True(shared.Settings.Compute.ShareModels);
        Assert.False(separate.Settings.Compute.ShareModels);
        var (a, _) = PlainLoop.Run(shared, 12);
        var (b, _) = PlainLoop.Run(separate, 12);
        Assert.Equal(b, a);

        // Every slot that computes holds a share of the plan's pool: the pool lives until the last is disposed.
        var plan = RunPlan.For(shared);
        var computations = plan.Slots.Select(s => plan.CreateComputation(s.Index)!).ToArray();
        foreach (var c in computations[..^1]) c.Dispose();
        Assert.Equal(shared.InitialParameters.Length, computations[^1].Compute(1, shared.InitialParameters).Update.Length); // still served
        computations[^1].Dispose();
    }
}
